"""The standalone DAG processor (Airflow 3, where it is no longer part of the scheduler)."""

from deployments import catalog
from deployments.kube.render.base import DAG_PROCESSOR, dns_name
from deployments.kube.render.pods import airflow_container, airflow_pod_spec, deployment, job_check_probe
from deployments.kube.spec import DeploymentSpec


def objects(spec: DeploymentSpec, hashes: dict) -> list[dict]:
    container = airflow_container(spec, DAG_PROCESSOR, catalog.DAG_PROCESSOR, ["airflow", "dag-processor"])
    container["livenessProbe"] = job_check_probe("DagProcessorJob")
    pod_spec = airflow_pod_spec(spec, DAG_PROCESSOR, container, catalog.DAG_PROCESSOR)
    name = dns_name(spec.release_name, DAG_PROCESSOR)
    return [deployment(spec, name, DAG_PROCESSOR, 1, pod_spec, hashes["airflow"])]
