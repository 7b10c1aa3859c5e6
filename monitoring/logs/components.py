"""The components of a Deployment whose logs can be read, and how their pods are found (labels render sets)."""

from dataclasses import dataclass

from deployments.kube.render.base import (
    API_SERVER,
    DAG_PROCESSOR,
    FLOWER,
    LABEL_COMPONENT,
    LABEL_INSTANCE,
    LABEL_QUEUE,
    PGBOUNCER,
    REDIS,
    SCHEDULER,
    STATSD,
    TRIGGERER,
    WEBSERVER,
    WORKER,
)


@dataclass(frozen=True)
class Component:
    key: str  # what the API's `components` and the page's picker name: "scheduler", "worker-default"
    label: str  # the component label of its pods
    queue: str | None = None  # workers: the queue label
    airflow: bool = True  # an Airflow container (picked by default) or a supporting service

    @property
    def title(self) -> str:
        return f"worker ({self.queue})" if self.queue else self.key


def deployment_components(deployment) -> list[Component]:
    """What the Deployment runs, as render lays it out: Airflow's components first, then the services."""
    result = [Component(SCHEDULER, SCHEDULER)]
    ui = API_SERVER if deployment.airflow_major >= 3 else WEBSERVER
    result.append(Component(ui, ui))
    if deployment.triggerer_replicas > 0:
        result.append(Component(TRIGGERER, TRIGGERER))
    if deployment.airflow_major >= 3:
        result.append(Component(DAG_PROCESSOR, DAG_PROCESSOR))
    if deployment.is_celery:
        names = sorted(queue.name for queue in deployment.queues.all())
        result += [Component(f"{WORKER}-{name}", WORKER, queue=name) for name in names]
    result += [Component(PGBOUNCER, PGBOUNCER, airflow=False)]
    if deployment.is_celery:
        result += [Component(REDIS, REDIS, airflow=False)]
    result += [Component(STATSD, STATSD, airflow=False)]
    if deployment.is_celery:
        result += [Component(FLOWER, FLOWER, airflow=False)]
    return result


def pod_selector(release_name: str, components: list[Component]) -> str:
    """One label selector for the pods of every chosen component (one list request, whatever their number)."""
    labels = sorted({component.label for component in components})
    return f"{LABEL_INSTANCE}={release_name},{LABEL_COMPONENT} in ({','.join(labels)})"


def component_of(pod: dict, components: list[Component]) -> Component | None:
    """Which of the chosen components a listed pod belongs to (None: a pod of a component not chosen)."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    label, queue = labels.get(LABEL_COMPONENT), labels.get(LABEL_QUEUE)
    for component in components:
        if component.label == label and (component.queue is None or component.queue == queue):
            return component
    return None
