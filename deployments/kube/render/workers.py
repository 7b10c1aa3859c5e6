"""Celery workers: one Deployment per queue (its worker type, concurrency and scale), and a CPU autoscaler for
queues with room to grow."""

from deployments import catalog
from deployments.kube.render.base import LABEL_QUEUE, WORKER, WORKER_LOG_PORT, dns_name, meta
from deployments.kube.render.pods import airflow_container, airflow_pod_spec, deployment
from deployments.kube.spec import DeploymentSpec, QueueSpec


def objects(spec: DeploymentSpec, hashes: dict) -> list[dict]:
    result = [_worker(spec, queue, hashes) for queue in spec.queues]
    return result + [_autoscaler(spec, queue) for queue in spec.queues if _autoscaled(queue)]


def _worker_name(spec: DeploymentSpec, queue: QueueSpec) -> str:
    return dns_name(spec.release_name, WORKER, queue.name)


def _autoscaled(queue: QueueSpec) -> bool:
    return queue.max_workers > max(queue.min_workers, 1)


def _worker(spec: DeploymentSpec, queue: QueueSpec, hashes: dict) -> dict:
    size = catalog.WORKER_TYPES[queue.worker_type].size
    args = ["airflow", "celery", "worker", "--queues", queue.name, "--concurrency", str(queue.concurrency)]
    container = airflow_container(spec, WORKER, size, args)
    container["ports"] = [{"name": "worker-logs", "containerPort": WORKER_LOG_PORT, "protocol": "TCP"}]
    # Ten minutes for running tasks to finish when a worker is stopped (rollout or scale-in), as in the chart.
    pod_spec = airflow_pod_spec(spec, WORKER, container, size, grace_seconds=600)
    # Zero workers needs a queue-length autoscaler (KEDA); with CPU autoscaling there is always at least one.
    replicas = None if _autoscaled(queue) else max(queue.min_workers, 1)
    return deployment(
        spec,
        _worker_name(spec, queue),
        WORKER,
        replicas,
        pod_spec,
        hashes["airflow"],
        max_replicas=queue.max_workers,
        **{LABEL_QUEUE: queue.name},
    )


def _autoscaler(spec: DeploymentSpec, queue: QueueSpec) -> dict:
    """CPU-based autoscaling. Celery load shows in queue length better than in CPU; KEDA would do better (and
    allow zero), but the HPA needs nothing beyond a stock cluster."""
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta(spec, _worker_name(spec, queue), WORKER, **{LABEL_QUEUE: queue.name}),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": _worker_name(spec, queue)},
            "minReplicas": max(queue.min_workers, 1),
            "maxReplicas": queue.max_workers,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
        },
    }
