"""Identities and RBAC: one ServiceAccount per component (a Kubernetes API token only for those that need one) and
the pod-launcher Role the components that start or watch pods are bound to."""

from deployments.kube.render.base import (
    DAG_PROCESSOR,
    FLOWER,
    PGBOUNCER,
    REDIS,
    SCHEDULER,
    STATSD,
    TRIGGERER,
    WORKER,
    dns_name,
    has_triggerer,
    is_v3,
    meta,
    service_account_name,
    ui_component,
)
from deployments.kube.spec import DeploymentSpec


def objects(spec: DeploymentSpec) -> list[dict]:
    return [*_service_accounts(spec), *_rbac(spec)]


def _service_account_names(spec: DeploymentSpec) -> dict[str, bool]:
    """Component -> whether its pods get a Kubernetes API token. Only those that launch or watch pods do."""
    launches_pods = not spec.is_celery  # the scheduler runs tasks as pods under the KubernetesExecutor
    accounts = {SCHEDULER: launches_pods, ui_component(spec): False}
    if has_triggerer(spec):
        accounts[TRIGGERER] = True  # deferrable KubernetesPodOperator watches pods from the triggerer
    if is_v3(spec):
        accounts[DAG_PROCESSOR] = False
    # Celery workers launch pods (KubernetesPodOperator). Under the KubernetesExecutor this account belongs to
    # the task pods, which get no token: they are not bound to the pod-launcher role.
    accounts[WORKER] = spec.is_celery
    accounts[STATSD] = False
    accounts[PGBOUNCER] = False
    if spec.is_celery:
        accounts[REDIS] = False
        accounts[FLOWER] = False
    return accounts


def _service_accounts(spec: DeploymentSpec) -> list[dict]:
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": meta(spec, service_account_name(spec, component), component),
            "automountServiceAccountToken": token,
        }
        for component, token in _service_account_names(spec).items()
    ]


def _rbac(spec: DeploymentSpec) -> list[dict]:
    role_name = dns_name(spec.release_name, "pod-launcher-role")
    api = "rbac.authorization.k8s.io/v1"
    role = {
        "apiVersion": api,
        "kind": "Role",
        "metadata": meta(spec, role_name),
        "rules": [
            {
                "apiGroups": [""],
                "resources": ["pods"],
                "verbs": ["create", "list", "get", "patch", "watch", "delete"],
            },
            {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
            {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create", "get"]},
            {"apiGroups": [""], "resources": ["events"], "verbs": ["list"]},
        ],
    }
    bound = [SCHEDULER] if not spec.is_celery else [WORKER]
    if has_triggerer(spec):
        bound.append(TRIGGERER)
    binding = {
        "apiVersion": api,
        "kind": "RoleBinding",
        "metadata": meta(spec, dns_name(spec.release_name, "pod-launcher-rolebinding")),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role_name},
        "subjects": [
            {"kind": "ServiceAccount", "name": service_account_name(spec, c), "namespace": spec.namespace}
            for c in bound
        ],
    }
    return [role, binding]
