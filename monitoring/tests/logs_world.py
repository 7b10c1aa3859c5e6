"""Pods of a Deployment in the fake cluster, with the labels render gives them and logs the tests choose."""

import datetime

from deployments.kube.render.base import LABEL_COMPONENT, LABEL_INSTANCE, LABEL_QUEUE
from deployments.tests.kmock_harness import FakeContainer

NOW = datetime.datetime.now(datetime.UTC)


def ago(seconds: float) -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=seconds)


def airflow3_line(moment: datetime.datetime, level: str, message: str, logger: str = "airflow.jobs.scheduler") -> str:
    """A line as Airflow 3's structlog console renderer writes it."""
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"{stamp} [{level.lower():<9}] {message} [{logger}] loc=scheduler_job_runner.py:42"


def add_pod(
    kube,
    deployment,
    component: str,
    suffix: str,
    lines: list[tuple[datetime.datetime, str]] | None = None,
    *,
    container: str | None = None,
    queue: str | None = None,
    started: datetime.datetime | None = None,
    **container_fields,
) -> str:
    """A pod of `component` (one container, named like the component unless given); returns the pod's name."""
    name = f"{deployment.release_name}-{component}{'-' + queue if queue else ''}-{suffix}"
    labels = {LABEL_INSTANCE: deployment.release_name, LABEL_COMPONENT: component}
    if queue:
        labels[LABEL_QUEUE] = queue
    containers = [FakeContainer(container or component, lines=list(lines or []), **container_fields)]
    kube.add_pod(deployment.namespace, name, labels, containers, started=started)
    return name
