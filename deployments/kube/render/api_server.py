"""The UI and REST API: Airflow 3's api-server (which also serves the Execution API to task processes) or
Airflow 2's webserver, with its Service."""

from deployments import catalog
from deployments.kube.render import webserver_config
from deployments.kube.render.base import (
    AIRFLOW_PORT,
    disruption_budget,
    dns_name,
    is_v3,
    port,
    service,
    ui_component,
)
from deployments.kube.render.pods import airflow_container, airflow_pod_spec, deployment, http_probe
from deployments.kube.spec import DeploymentSpec


def port_name(spec: DeploymentSpec) -> str:
    return "api-server" if is_v3(spec) else "airflow-ui"


def objects(spec: DeploymentSpec, hashes: dict) -> list[dict]:
    component = ui_component(spec)
    if is_v3(spec):
        args, health = ["airflow", "api-server"], "/api/v2/monitor/health"
    else:
        args, health = ["airflow", "webserver"], "/health"
    ui_port = port_name(spec)
    extra_env = [webserver_config.client_secret_env(spec)] if webserver_config.configured(spec) else []
    container = airflow_container(spec, component, catalog.API_SERVER, args, extra_env=extra_env)
    if webserver_config.configured(spec):
        container["volumeMounts"].append(webserver_config.mount())  # login through Aerodrome
    container["ports"] = [{"name": ui_port, "containerPort": AIRFLOW_PORT, "protocol": "TCP"}]
    # The startup probe gives a slow first start (and gunicorn/uvicorn warm-up) five minutes before liveness
    # checks begin; readiness keeps the pod out of the Service until it answers.
    container["startupProbe"] = http_probe(health, ui_port, period=10, failures=30)
    container["readinessProbe"] = http_probe(health, ui_port, period=10, failures=3)
    container["livenessProbe"] = http_probe(health, ui_port, period=30, failures=5)
    pod_spec = airflow_pod_spec(spec, component, container, catalog.API_SERVER)
    name = dns_name(spec.release_name, component)
    result = [
        deployment(spec, name, component, spec.api_server_replicas, pod_spec, hashes["ui"]),
        service(spec, component, [port(ui_port, AIRFLOW_PORT)]),
    ]
    if spec.api_server_replicas >= 2:
        result.append(disruption_budget(spec, component))
    return result
