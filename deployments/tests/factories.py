"""Test data for deployments, made through the same services users go through."""

import yaml

from deployments import services
from deployments.models import Cluster


def kubeconfig_for(url: str, *, name: str = "test") -> str:
    """A kubeconfig (YAML text) for an API server at `url` with a dummy token."""
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": {"server": url}}],
            "users": [{"name": name, "user": {"token": "test-token"}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
        }
    )


def make_cluster(*, organization=None, url: str = "http://127.0.0.1:1", **fields) -> Cluster:
    """A cluster row (bypassing the service so platform clusters need no staff user)."""
    fields.setdefault("name", f"cluster-{Cluster.objects.count() + 1}")
    fields.setdefault("ingress_base_domain", "airflow.acme.test")
    fields.setdefault("kubeconfig", kubeconfig_for(url))
    return Cluster.objects.create(organization=organization, **fields)


def make_deployment(*, actor, workspace, name: str = "Sales pipelines", **fields):
    """A Deployment created as `actor` (who must be an OPERATOR or above on the workspace)."""
    return services.deployment_create(actor=actor, workspace=workspace, name=name, **fields)
