"""Flower, Celery's monitoring UI (CeleryExecutor only), with its Service."""

from deployments import catalog
from deployments.kube.render.base import FLOWER, FLOWER_PORT, dns_name, port, service
from deployments.kube.render.pods import airflow_container, airflow_pod_spec, deployment
from deployments.kube.spec import DeploymentSpec


def objects(spec: DeploymentSpec, hashes: dict) -> list[dict]:
    container = airflow_container(spec, FLOWER, catalog.FLOWER, ["airflow", "celery", "flower"])
    container["ports"] = [{"name": "flower-ui", "containerPort": FLOWER_PORT, "protocol": "TCP"}]
    container["readinessProbe"] = {"tcpSocket": {"port": "flower-ui"}, "periodSeconds": 10}
    pod_spec = airflow_pod_spec(spec, FLOWER, container, catalog.FLOWER)
    return [
        deployment(spec, dns_name(spec.release_name, FLOWER), FLOWER, 1, pod_spec, hashes["airflow"]),
        service(spec, FLOWER, [port("flower-ui", FLOWER_PORT)]),
    ]
