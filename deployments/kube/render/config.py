"""Airflow's configuration: airflow.cfg and the KubernetesExecutor's pod template in the `<release>-config`
ConfigMap, the settings users may not override, and the digests that roll exactly the pods a change concerns."""

import hashlib
import json

from deployments import catalog
from deployments.kube.render import async_engine, dags, webserver_config
from deployments.kube.render.base import (
    AIRFLOW_HOME,
    AIRFLOW_PORT,
    API_SERVER,
    PGBOUNCER,
    POD_TEMPLATE_DIR,
    REDIS,
    STATSD,
    STATSD_PORT,
    WORKER,
    WORKER_LOG_PORT,
    dns_name,
    is_v3,
    labels,
    meta,
    safe_yaml,
    service_account_name,
)
from deployments.kube.render.pods import airflow_container, airflow_pod_security, airflow_volumes, task_pod_size
from deployments.kube.render.secrets import REDIS_PASSWORD, airflow_secret_refs
from deployments.kube.spec import DeploymentSpec

# The `AIRFLOW__...` settings Aerodrome sets itself (as environment variables or in airflow.cfg, which an
# environment variable would override). Users may not set them: they hold secrets or wire the components together.
EXPECTED_ENV_RESERVED = frozenset(
    {
        "AIRFLOW__API_AUTH__JWT_EXPIRATION_TIME",
        "AIRFLOW__API_AUTH__JWT_SECRET",
        "AIRFLOW__API__BASE_URL",
        "AIRFLOW__API__SECRET_KEY",
        "AIRFLOW__CELERY__BROKER_URL",
        "AIRFLOW__CELERY__RESULT_BACKEND",
        "AIRFLOW__CORE__AUTH_MANAGER",
        "AIRFLOW__CORE__DAGS_FOLDER",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
        "AIRFLOW__CORE__EXECUTOR",
        "AIRFLOW__CORE__FERNET_KEY",
        "AIRFLOW__CORE__HOSTNAME_CALLABLE",
        "AIRFLOW__CORE__PARALLELISM",
        "AIRFLOW__CORE__SQL_ALCHEMY_CONN",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC",
        "AIRFLOW__FAB__CONFIG_FILE",
        "AIRFLOW__FAB__SESSION_LIFETIME_MINUTES",
        "AIRFLOW__KUBERNETES_EXECUTOR__MULTI_NAMESPACE_MODE",
        "AIRFLOW__KUBERNETES_EXECUTOR__NAMESPACE",
        "AIRFLOW__KUBERNETES_EXECUTOR__POD_TEMPLATE_FILE",
        "AIRFLOW__KUBERNETES_EXECUTOR__WORKER_CONTAINER_REPOSITORY",
        "AIRFLOW__KUBERNETES_EXECUTOR__WORKER_CONTAINER_TAG",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT",
        "AIRFLOW__METRICS__STATSD_HOST",
        "AIRFLOW__METRICS__STATSD_ON",
        "AIRFLOW__METRICS__STATSD_PORT",
        "AIRFLOW__METRICS__STATSD_PREFIX",
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE",
        "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR",
        "AIRFLOW__WEBSERVER__BASE_URL",
        "AIRFLOW__WEBSERVER__CONFIG_FILE",
        "AIRFLOW__WEBSERVER__SECRET_KEY",
        "AIRFLOW__WEBSERVER__SESSION_LIFETIME_MINUTES",
    }
)


def parallelism(spec: DeploymentSpec) -> int:
    """Task slots: every worker at full scale, or the task pod ceiling. Set on the scheduler only, so scaling a
    queue restarts the scheduler but not every other component."""
    if spec.is_celery:
        return sum(q.max_workers * q.concurrency for q in spec.queues)
    return spec.max_task_pods


def _airflow_config(spec: DeploymentSpec) -> dict[str, dict[str, str]]:
    release = spec.release_name
    ui_url = spec.ui_url  # https only with the cluster's TLS setting
    core = {
        "dags_folder": dags.FOLDER if dags.configured(spec) else f"{AIRFLOW_HOME}/dags",
        "executor": spec.executor,
        "load_examples": "False",
        # A task instance records this as its hostname, and the api-server fetches a running (or not otherwise
        # stored) task's log from http://<hostname>:<worker_log_server_port>. A Deployment's pods have no DNS name
        # of their own (the chart makes workers a StatefulSet behind a headless Service for one); their IP needs
        # no DNS at all, and the namespace's network policy lets the api-server reach it.
        "hostname_callable": "airflow.utils.net.get_host_ip_address",
    }
    if is_v3(spec):
        core["auth_manager"] = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
        # Task processes report to the execution API on the api-server, inside the namespace.
        core["execution_api_server_url"] = f"http://{dns_name(release, API_SERVER)}:{AIRFLOW_PORT}/execution/"
    config = {
        "core": core,
        "logging": {
            "base_log_folder": f"{AIRFLOW_HOME}/logs",
            # Where a Celery worker serves its task logs (JWT-signed with the shared secret key): the port its
            # container exposes.
            "worker_log_server_port": str(WORKER_LOG_PORT),
            "remote_logging": "False",
            "colored_console_log": "False",
        },
        "metrics": {
            "statsd_on": "True",
            "statsd_host": dns_name(release, STATSD),
            "statsd_port": str(STATSD_PORT),
            "statsd_prefix": "airflow",
        },
        "scheduler": {"standalone_dag_processor": "True" if is_v3(spec) else "False"},
    }
    if async_engine.configured(spec):
        config["database"] = {"sql_alchemy_connect_args_async": async_engine.CONNECT_ARGS}
    # A login lasts webserver_config.SESSION_MINUTES (the UI's token, FAB's session), then goes back through
    # Aerodrome, which decides again.
    session = str(webserver_config.SESSION_MINUTES)
    if is_v3(spec):
        config["api"] = {"base_url": ui_url}
        config["api_auth"] = {"jwt_expiration_time": str(webserver_config.SESSION_MINUTES * 60)}
        config["fab"] = {
            "enable_proxy_fix": "True",  # behind the ingress controller
            "config_file": webserver_config.MOUNT_PATH,
            "session_lifetime_minutes": session,
        }
    else:
        config["webserver"] = {
            "base_url": ui_url,
            "enable_proxy_fix": "True",
            "config_file": webserver_config.MOUNT_PATH,
            "session_lifetime_minutes": session,
        }
    if spec.tls.enabled:
        # The sign-in session cookie only ever travels over HTTPS (without TLS it cannot, or nobody could log in).
        config["fab" if is_v3(spec) else "webserver"]["cookie_secure"] = "True"
    if spec.is_celery:
        # Each queue's workers get --concurrency on their command line, so scaling a queue changes no shared
        # configuration and does not roll every Airflow pod.
        config["operators"] = {"default_queue": catalog.DEFAULT_QUEUE}
    else:
        config["kubernetes_executor"] = {
            "namespace": spec.namespace,
            "pod_template_file": f"{POD_TEMPLATE_DIR}/pod_template_file.yaml",
            "worker_container_repository": spec.image_repository,
            "worker_container_tag": spec.image_tag,
            "multi_namespace_mode": "False",
            "delete_worker_pods": "True",
            "delete_worker_pods_on_failure": "False",
            "worker_pods_creation_batch_size": "4",
        }
    return config


def _ini(sections: dict[str, dict[str, str]]) -> str:
    lines = []
    for section, options in sections.items():
        if lines:
            lines.append("")
        lines.append(f"[{section}]")
        lines += [f"{key} = {value}" for key, value in options.items()]
    return "\n".join(lines) + "\n"


def _pod_template(spec: DeploymentSpec) -> dict:
    """The KubernetesExecutor's task pod: the user's image, the default task size, no API token."""
    container = airflow_container(spec, "base", task_pod_size(spec), args=None, with_pod_template=False)
    pod_spec_extra, volumes = {}, airflow_volumes(spec)
    if dags.configured(spec):  # a task pod fetches the DAGs once, before the task runs
        container["volumeMounts"].append(dags.airflow_mount())
        pod_spec_extra["initContainers"] = [dags.init_container(spec)]
        volumes.append(dags.volume())
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "placeholder-name", "labels": labels(spec, WORKER)},
        "spec": {
            "serviceAccountName": service_account_name(spec, WORKER),
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 600,
            "securityContext": airflow_pod_security(),
            **pod_spec_extra,
            "containers": [container],
            "volumes": volumes,
        },
    }


def objects(spec: DeploymentSpec) -> list[dict]:
    data = {"airflow.cfg": _ini(_airflow_config(spec))}
    if async_engine.configured(spec):
        data[async_engine.FILE] = async_engine.SOURCE
    if webserver_config.configured(spec):
        data[webserver_config.FILE] = webserver_config.source(spec)
    if dags.configured(spec):
        data[dags.FILE] = dags.SCRIPT
    if not spec.is_celery:
        data["pod_template_file.yaml"] = safe_yaml(_pod_template(spec))
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta(spec, dns_name(spec.release_name, "config")),
            "data": data,
        }
    ]


def hashes(spec: DeploymentSpec, configuration: list[dict]) -> dict[str, str]:
    """A digest of exactly the configuration each kind of pod reads, so a change rolls the pods that use it and
    only those (environment variables and Secret keys are read once, at container start)."""
    release = spec.release_name
    by_name = {obj["metadata"]["name"]: obj for obj in configuration}

    def digest(*names: str) -> str:
        content = [[name, by_name[name]["data"]] for name in names]
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()

    airflow = [dns_name(release, "config"), dns_name(release, "env")]
    airflow += [dns_name(release, suffix) for suffix, _, _ in airflow_secret_refs(spec)]
    ui = airflow
    if webserver_config.configured(spec):
        ui = [*airflow, dns_name(release, webserver_config.CLIENT_SECRET[0])]
    result = {
        "airflow": digest(*airflow),
        "ui": digest(*ui),  # the api-server (webserver) also reads the OAuth client's secret
        PGBOUNCER: digest(dns_name(release, "pgbouncer-config")),
        STATSD: digest(dns_name(release, STATSD)),
    }
    if spec.is_celery:
        result[REDIS] = digest(dns_name(release, REDIS_PASSWORD[0]))
    return result
