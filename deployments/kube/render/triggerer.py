"""The triggerer, which runs deferred tasks' triggers (rendered when it has replicas)."""

from deployments import catalog
from deployments.kube.render.base import TRIGGERER, dns_name
from deployments.kube.render.pods import airflow_container, airflow_pod_spec, deployment, job_check_probe
from deployments.kube.spec import DeploymentSpec


def objects(spec: DeploymentSpec, hashes: dict) -> list[dict]:
    container = airflow_container(spec, TRIGGERER, catalog.TRIGGERER, ["airflow", "triggerer"])
    container["livenessProbe"] = job_check_probe("TriggererJob")
    pod_spec = airflow_pod_spec(spec, TRIGGERER, container, catalog.TRIGGERER, grace_seconds=60)
    name = dns_name(spec.release_name, TRIGGERER)
    return [deployment(spec, name, TRIGGERER, spec.triggerer_replicas, pod_spec, hashes["airflow"])]
