"""The scheduler: migrates the metadata database in its init container, then schedules (and, under the
KubernetesExecutor, launches the task pods)."""

from deployments import catalog
from deployments.kube.render.base import SCHEDULER, disruption_budget, dns_name
from deployments.kube.render.config import parallelism
from deployments.kube.render.pods import airflow_container, airflow_pod_spec, deployment, job_check_probe
from deployments.kube.spec import DeploymentSpec


def objects(spec: DeploymentSpec, hashes: dict) -> list[dict]:
    size = catalog.SCHEDULER_SIZES[spec.scheduler_size]
    slots = [{"name": "AIRFLOW__CORE__PARALLELISM", "value": str(parallelism(spec))}]
    container = airflow_container(spec, SCHEDULER, size, ["airflow", "scheduler"], extra_env=slots)
    container["livenessProbe"] = job_check_probe("SchedulerJob")
    pod_spec = airflow_pod_spec(spec, SCHEDULER, container, size, migrate=True)
    name = dns_name(spec.release_name, SCHEDULER)
    result = [deployment(spec, name, SCHEDULER, spec.scheduler_replicas, pod_spec, hashes["airflow"])]
    # A budget on a single replica would block node drains for nothing.
    if spec.scheduler_replicas >= 2:
        result.append(disruption_budget(spec, SCHEDULER))
    return result
