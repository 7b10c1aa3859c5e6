"""Render one Deployment's desired state as Kubernetes objects.

`render(spec)` is pure: no I/O, no models, no randomness, no clock. The same spec always gives the same list of
plain dicts, in the same order (the Namespace first, then by kind in `MANAGED_KINDS` order, then by name), ready
for server-side apply. Names and Airflow configuration follow the official Apache Airflow Helm chart
(`<release>-<thing>`), so people who know the chart find their way around.

One namespace per Deployment (`aerodrome-<release>`) holds everything; the reconciler lists and prunes what it
owns with `owned_selector` over `MANAGED_KINDS`.
"""

import base64
import copy
import hashlib
import json
from decimal import Decimal
from urllib.parse import quote

import yaml

from deployments import catalog, quota
from deployments.catalog import Size
from deployments.kube.spec import DeploymentSpec, QueueSpec

LABEL_MANAGED = "aerodrome.io/managed-by"
MANAGED_BY = "aerodrome"
LABEL_DEPLOYMENT = "aerodrome.io/deployment"
LABEL_WORKSPACE = "aerodrome.io/workspace"
LABEL_ORGANIZATION = "aerodrome.io/organization"
LABEL_QUEUE = "aerodrome.io/queue"
LABEL_INSTANCE = "app.kubernetes.io/instance"
LABEL_COMPONENT = "app.kubernetes.io/component"
ANNOTATION_CONFIG_HASH = "aerodrome.io/config-hash"

# Everything render can produce, in apply order: the namespace and its guard rails first, identities and
# configuration before the workloads that use them, and the ingress last.
MANAGED_KINDS: list[tuple[str, str]] = [
    ("v1", "Namespace"),
    ("v1", "ResourceQuota"),
    ("v1", "LimitRange"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("v1", "ServiceAccount"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
    ("networking.k8s.io/v1", "Ingress"),
]
_KIND_ORDER = {pair: index for index, pair in enumerate(MANAGED_KINDS)}

# The `AIRFLOW__...` settings Aerodrome sets itself (as environment variables or in airflow.cfg, which an
# environment variable would override). Users may not set them: they hold secrets or wire the components together.
EXPECTED_ENV_RESERVED = frozenset(
    {
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
        "AIRFLOW__KUBERNETES_EXECUTOR__MULTI_NAMESPACE_MODE",
        "AIRFLOW__KUBERNETES_EXECUTOR__NAMESPACE",
        "AIRFLOW__KUBERNETES_EXECUTOR__POD_TEMPLATE_FILE",
        "AIRFLOW__KUBERNETES_EXECUTOR__WORKER_CONTAINER_REPOSITORY",
        "AIRFLOW__KUBERNETES_EXECUTOR__WORKER_CONTAINER_TAG",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER",
        "AIRFLOW__METRICS__STATSD_HOST",
        "AIRFLOW__METRICS__STATSD_ON",
        "AIRFLOW__METRICS__STATSD_PORT",
        "AIRFLOW__METRICS__STATSD_PREFIX",
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE",
        "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR",
        "AIRFLOW__WEBSERVER__BASE_URL",
        "AIRFLOW__WEBSERVER__SECRET_KEY",
    }
)

# Images that are not the user's Airflow image: public, pinned. The pgbouncer image is the one the official
# chart ships (built by the Airflow project).
STATSD_IMAGE = "quay.io/prometheus/statsd-exporter:v0.28.0"
PGBOUNCER_IMAGE = "apache/airflow:airflow-pgbouncer-2025.03.05-1.23.1"
REDIS_IMAGE = "redis:7.2-alpine"

INGRESS_CLASS = "nginx"
INGRESS_CONTROLLER_NAMESPACE = "ingress-nginx"

AIRFLOW_HOME = "/opt/airflow"
AIRFLOW_UID = 50000
AIRFLOW_PORT = 8080
WORKER_LOG_PORT = 8793
STATSD_PORT = 9125
STATSD_SCRAPE_PORT = 9102
PGBOUNCER_PORT = 6543
REDIS_PORT = 6379
FLOWER_PORT = 5555
POD_TEMPLATE_DIR = f"{AIRFLOW_HOME}/pod_templates"
NOBODY = 65534  # statsd-exporter and pgbouncer images run as nobody
REDIS_UID, REDIS_GID = 999, 1000  # the redis user of the official alpine image

REDACTED = "<redacted>"

# Component names, as the chart calls them.
SCHEDULER = "scheduler"
API_SERVER = "api-server"
WEBSERVER = "webserver"
TRIGGERER = "triggerer"
DAG_PROCESSOR = "dag-processor"
WORKER = "worker"
STATSD = "statsd"
PGBOUNCER = "pgbouncer"
REDIS = "redis"
FLOWER = "flower"

_MAX_NAME = 63


# ---------------------------------------------------------------------------------------------------- public API


def render(spec: DeploymentSpec) -> list[dict]:
    """Every object of one Deployment, Namespace first, then by kind (MANAGED_KINDS order) and name."""
    secrets = _secrets(spec)
    config_maps = _config_maps(spec)
    by_name = {obj["metadata"]["name"]: obj for obj in secrets + config_maps}
    hashes = _config_hashes(spec, by_name)
    workloads = _workloads(spec, hashes)
    objects = [
        _namespace(spec),
        _resource_quota(spec),
        _limit_range(spec),
        *_network_policies(spec),
        *_service_accounts(spec),
        *_rbac(spec),
        *secrets,
        *config_maps,
        *_services(spec),
        *workloads,
        *_autoscalers(spec),
        *_disruption_budgets(spec),
        _ingress(spec),
    ]
    return sorted(objects, key=_order)


def owned_selector(spec_or_release: DeploymentSpec | str) -> str:
    """The label selector matching every object Aerodrome owns for one release."""
    release = spec_or_release if isinstance(spec_or_release, str) else spec_or_release.release_name
    return f"{LABEL_MANAGED}={MANAGED_BY},{LABEL_DEPLOYMENT}={release}"


def redact(objects: list[dict]) -> list[dict]:
    """Copies in which every Secret value reads `<redacted>` (for the manifests page and the API)."""
    result = []
    for obj in objects:
        obj = copy.deepcopy(obj)
        if obj.get("kind") == "Secret":
            for field in ("data", "stringData"):
                if field in obj:
                    obj[field] = {key: REDACTED for key in obj[field]}
        result.append(obj)
    return result


def to_yaml(objects: list[dict]) -> str:
    """Multi-document YAML, `---` before each object, keys in the order render wrote them."""
    return yaml.dump_all(
        objects, Dumper=_Dumper, explicit_start=True, sort_keys=False, default_flow_style=False, width=120
    )


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml's emitter is ~4x faster when present
    """Writes multi-line strings (airflow.cfg, pod templates) as literal blocks so they read like files."""


def _str_representer(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


# ------------------------------------------------------------------------------------------------------ helpers


def _order(obj: dict) -> tuple:
    return (_KIND_ORDER[(obj["apiVersion"], obj["kind"])], obj["metadata"]["name"])


def _name(*parts: str) -> str:
    """`<release>-<thing>` as a DNS-1123 label: at most 63 characters, long names cut and suffixed with a hash so
    that two long queue names never collide."""
    name = "-".join(parts)
    if len(name) <= _MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: _MAX_NAME - 9].rstrip('-')}-{digest}"


def _label_value(value: str) -> str:
    """A label value: at most 63 characters, starting and ending with an alphanumeric."""
    return value[:63].strip("-_.")


def _labels(spec: DeploymentSpec, component: str | None = None, **extra: str) -> dict:
    labels = {
        "app.kubernetes.io/name": "airflow",
        LABEL_INSTANCE: spec.release_name,
    }
    if component:
        labels[LABEL_COMPONENT] = component
    labels.update(
        {
            "app.kubernetes.io/version": _label_value(spec.airflow_version),
            "app.kubernetes.io/managed-by": MANAGED_BY,
            LABEL_MANAGED: MANAGED_BY,
            LABEL_DEPLOYMENT: spec.release_name,
            LABEL_WORKSPACE: str(spec.workspace_id),
            LABEL_ORGANIZATION: _label_value(spec.organization_slug),
        }
    )
    labels.update(extra)
    return labels


def _selector(spec: DeploymentSpec, component: str, **extra: str) -> dict:
    """Only labels that never change for the life of a workload (selectors are immutable; no version here)."""
    return {LABEL_INSTANCE: spec.release_name, LABEL_COMPONENT: component, **extra}


def _meta(spec: DeploymentSpec, name: str, component: str | None = None, **extra_labels: str) -> dict:
    return {"name": name, "namespace": spec.namespace, "labels": _labels(spec, component, **extra_labels)}


def _cpu(cores: Decimal) -> str:
    cores = Decimal(cores)
    if cores == cores.to_integral_value():
        return str(int(cores))
    return f"{int(cores * 1000)}m"


def _memory(mib: int) -> str:
    return f"{mib}Mi"


def _resources(size: Size) -> dict:
    """Requests equal limits: Guaranteed QoS, and exactly what the quota was computed from."""
    amounts = {"cpu": _cpu(size.cpu), "memory": _memory(size.memory_mib)}
    return {"requests": dict(amounts), "limits": dict(amounts)}


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def _airflow_image(spec: DeploymentSpec) -> str:
    return f"{spec.image_repository}:{spec.image_tag}"


def _is_v3(spec: DeploymentSpec) -> bool:
    return spec.airflow_major >= 3


def _ui_component(spec: DeploymentSpec) -> str:
    return API_SERVER if _is_v3(spec) else WEBSERVER


def _has_triggerer(spec: DeploymentSpec) -> bool:
    return spec.triggerer_replicas > 0


# -------------------------------------------------------------------------------------- namespace and guard rails


def _namespace(spec: DeploymentSpec) -> dict:
    labels = _labels(spec)
    # Baseline is enforced (no privileged pods, host namespaces...); restricted is what we aim for, so a pod
    # that falls short of it shows up as a warning and in the audit log rather than failing to start.
    labels.update(
        {
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
        }
    )
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": spec.namespace, "labels": labels}}


def _resource_quota(spec: DeploymentSpec) -> dict:
    figures = quota.for_spec(spec)
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": _meta(spec, _name(spec.release_name, "quota")),
        "spec": {
            "hard": {
                "requests.cpu": figures.cpu_quantity,
                "limits.cpu": figures.cpu_quantity,
                "requests.memory": figures.memory_quantity,
                "limits.memory": figures.memory_quantity,
                "pods": str(figures.pods),
                "requests.ephemeral-storage": figures.ephemeral_storage_quantity,
                "limits.ephemeral-storage": figures.ephemeral_storage_quantity,
            }
        },
    }


# What a container gets when it says nothing (pods users launch themselves, e.g. KubernetesPodOperator). Our own
# containers all state CPU and memory; ephemeral storage always comes from here (the quota requires it).
_DEFAULT_LIMIT = {"cpu": "500m", "memory": "512Mi"}
_DEFAULT_REQUEST = {"cpu": "100m", "memory": "256Mi"}
_MAX_EPHEMERAL_MIB = 2048


def _ephemeral_storage_mib(spec: DeploymentSpec) -> int:
    """Each pod's share of the namespace's ephemeral storage: the quota's pod count times this fits the quota,
    so scaling out is never refused for storage (many task pods each get less, never none)."""
    figures = quota.for_spec(spec)
    return min(_MAX_EPHEMERAL_MIB, catalog.EPHEMERAL_STORAGE_GIB * 1024 // figures.pods)


def _pod_sizes(spec: DeploymentSpec) -> list[Size]:
    """The size of every kind of pod this Deployment runs (one main container each; init containers match it)."""
    sizes = [catalog.SCHEDULER_SIZES[spec.scheduler_size], catalog.API_SERVER, catalog.STATSD, catalog.PGBOUNCER]
    if _has_triggerer(spec):
        sizes.append(catalog.TRIGGERER)
    if _is_v3(spec):
        sizes.append(catalog.DAG_PROCESSOR)
    if spec.is_celery:
        sizes += [catalog.REDIS, catalog.FLOWER]
        sizes += [catalog.WORKER_TYPES[q.worker_type].size for q in spec.queues]
    else:
        sizes.append(_task_pod_size(spec))
    return sizes


def _limit_range(spec: DeploymentSpec) -> dict:
    sizes = _pod_sizes(spec)
    largest = Size(max(s.cpu for s in sizes), max(s.memory_mib for s in sizes))
    ephemeral = _ephemeral_storage_mib(spec)
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": _meta(spec, _name(spec.release_name, "limits")),
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {**_DEFAULT_LIMIT, "ephemeral-storage": _memory(ephemeral)},
                    "defaultRequest": {**_DEFAULT_REQUEST, "ephemeral-storage": _memory(min(128, ephemeral))},
                },
                # No single pod may be larger than the largest one we run, so one runaway pod cannot take the
                # whole quota.
                {"type": "Pod", "max": {"cpu": _cpu(largest.cpu), "memory": _memory(largest.memory_mib)}},
            ]
        },
    }


def _network_policies(spec: DeploymentSpec) -> list[dict]:
    api = "networking.k8s.io/v1"
    ui = _ui_component(spec)
    return [
        {
            "apiVersion": api,
            "kind": "NetworkPolicy",
            "metadata": _meta(spec, _name(spec.release_name, "default-deny-ingress")),
            # An empty podSelector with no ingress rules: nothing gets in unless another policy allows it.
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
        },
        {
            "apiVersion": api,
            "kind": "NetworkPolicy",
            "metadata": _meta(spec, _name(spec.release_name, "allow-same-namespace")),
            # The components talk to each other freely (scheduler -> pgbouncer, workers -> redis, log fetching).
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {}}]}]},
        },
        {
            "apiVersion": api,
            "kind": "NetworkPolicy",
            "metadata": _meta(spec, _name(spec.release_name, "allow-ingress-controller"), ui),
            # Only the UI is reachable from outside, and only through the cluster's ingress controller.
            "spec": {
                "podSelector": {"matchLabels": _selector(spec, ui)},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": INGRESS_CONTROLLER_NAMESPACE}
                                }
                            }
                        ],
                        "ports": [{"protocol": "TCP", "port": AIRFLOW_PORT}],
                    }
                ],
            },
        },
    ]


# ------------------------------------------------------------------------------------------ identities and RBAC


def _service_account_names(spec: DeploymentSpec) -> dict[str, bool]:
    """Component -> whether its pods get a Kubernetes API token. Only those that launch or watch pods do."""
    launches_pods = not spec.is_celery  # the scheduler runs tasks as pods under the KubernetesExecutor
    accounts = {SCHEDULER: launches_pods, _ui_component(spec): False}
    if _has_triggerer(spec):
        accounts[TRIGGERER] = True  # deferrable KubernetesPodOperator watches pods from the triggerer
    if _is_v3(spec):
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


def _service_account_name(spec: DeploymentSpec, component: str) -> str:
    return _name(spec.release_name, component)


def _service_accounts(spec: DeploymentSpec) -> list[dict]:
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _meta(spec, _service_account_name(spec, component), component),
            "automountServiceAccountToken": token,
        }
        for component, token in _service_account_names(spec).items()
    ]


def _rbac(spec: DeploymentSpec) -> list[dict]:
    role_name = _name(spec.release_name, "pod-launcher-role")
    api = "rbac.authorization.k8s.io/v1"
    role = {
        "apiVersion": api,
        "kind": "Role",
        "metadata": _meta(spec, role_name),
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
    if _has_triggerer(spec):
        bound.append(TRIGGERER)
    binding = {
        "apiVersion": api,
        "kind": "RoleBinding",
        "metadata": _meta(spec, _name(spec.release_name, "pod-launcher-rolebinding")),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role_name},
        "subjects": [
            {"kind": "ServiceAccount", "name": _service_account_name(spec, c), "namespace": spec.namespace}
            for c in bound
        ],
    }
    return [role, binding]


# ------------------------------------------------------------------------------------------------------ secrets

# (secret name suffix, key, environment variable) for the secrets every Airflow container reads.
_METADATA = ("airflow-metadata", "connection", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
_FERNET = ("fernet-key", "fernet-key", "AIRFLOW__CORE__FERNET_KEY")
_API_SECRET = ("api-secret-key", "api-secret-key", "AIRFLOW__API__SECRET_KEY")
_WEBSERVER_SECRET = ("webserver-secret-key", "webserver-secret-key", "AIRFLOW__WEBSERVER__SECRET_KEY")
_JWT = ("jwt-secret", "jwt-secret", "AIRFLOW__API_AUTH__JWT_SECRET")
_BROKER = ("broker-url", "connection", "AIRFLOW__CELERY__BROKER_URL")
_REDIS_PASSWORD = ("redis-password", "password", "REDIS_PASSWORD")


def _airflow_secret_refs(spec: DeploymentSpec) -> list[tuple[str, str, str]]:
    refs = [_METADATA, _FERNET]
    refs += [_API_SECRET, _JWT] if _is_v3(spec) else [_WEBSERVER_SECRET]
    if spec.is_celery:
        refs.append(_BROKER)
    return refs


def _secret(spec: DeploymentSpec, name: str, data: dict[str, str], component: str | None = None) -> dict:
    # base64 `data` rather than `stringData`: what the cluster stores is then exactly what we apply, so
    # server-side apply sees no drift.
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(spec, name, component),
        "type": "Opaque",
        "data": {key: _b64(value) for key, value in data.items()},
    }


def _pgbouncer_host(spec: DeploymentSpec) -> str:
    return f"{_name(spec.release_name, PGBOUNCER)}.{spec.namespace}"


def _metadata_connection(spec: DeploymentSpec) -> str:
    db = spec.database
    user = quote(db.user, safe="")
    password = quote(spec.secrets.metadata_password, safe="")
    return f"postgresql://{user}:{password}@{_pgbouncer_host(spec)}:{PGBOUNCER_PORT}/{db.name}"


def _broker_url(spec: DeploymentSpec) -> str:
    password = quote(spec.secrets.redis_password, safe="")
    return f"redis://:{password}@{_name(spec.release_name, REDIS)}:{REDIS_PORT}/0"


def _pgbouncer_ini(spec: DeploymentSpec) -> str:
    db = spec.database
    # Transaction pooling keeps the number of server connections on the shared PostgreSQL small however many
    # Airflow processes connect. The database alias is the real database name, so the URL reads naturally.
    return "\n".join(
        [
            "[databases]",
            f"{db.name} = host={db.host} port={db.port} dbname={db.name} user={db.user} pool_size=10",
            "",
            "[pgbouncer]",
            "pool_mode = transaction",
            "listen_addr = *",
            f"listen_port = {PGBOUNCER_PORT}",
            "auth_type = scram-sha-256",
            "auth_file = /etc/pgbouncer/users.txt",
            f"stats_users = {db.user}",
            "ignore_startup_parameters = extra_float_digits",
            "max_client_conn = 200",
            "server_tls_sslmode = prefer",
            "log_connections = 0",
            "log_disconnections = 0",
            "",
        ]
    )


def _pgbouncer_users(spec: DeploymentSpec) -> str:
    def quoted(value: str) -> str:
        return '"' + value.replace('"', '""') + '"'

    return f"{quoted(spec.database.user)} {quoted(spec.secrets.metadata_password)}\n"


def _secrets(spec: DeploymentSpec) -> list[dict]:
    release = spec.release_name
    values = {
        _METADATA: _metadata_connection(spec),
        _FERNET: spec.secrets.fernet_key,
        _API_SECRET: spec.secrets.api_secret_key,
        _WEBSERVER_SECRET: spec.secrets.api_secret_key,  # one generated key, named as each major expects
        _JWT: spec.secrets.jwt_secret,
    }
    if spec.is_celery:
        values[_BROKER] = _broker_url(spec)
    secrets = []
    for ref in _airflow_secret_refs(spec):
        suffix, key, _ = ref
        secrets.append(_secret(spec, _name(release, suffix), {key: values[ref]}))
    if spec.is_celery:
        suffix, key, _ = _REDIS_PASSWORD
        secrets.append(_secret(spec, _name(release, suffix), {key: spec.secrets.redis_password}, REDIS))
    secrets.append(
        _secret(
            spec,
            _name(release, "pgbouncer-config"),
            {"pgbouncer.ini": _pgbouncer_ini(spec), "users.txt": _pgbouncer_users(spec)},
            PGBOUNCER,
        )
    )
    # The user's variables, secret or not: one Secret, read whole through envFrom.
    secrets.append(_secret(spec, _name(release, "env"), dict(spec.env)))
    return secrets


# --------------------------------------------------------------------------------------------------- config maps


def _parallelism(spec: DeploymentSpec) -> int:
    """Task slots: every worker at full scale, or the task pod ceiling. Set on the scheduler only, so scaling a
    queue restarts the scheduler but not every other component."""
    if spec.is_celery:
        return sum(q.max_workers * q.concurrency for q in spec.queues)
    return spec.max_task_pods


def _airflow_config(spec: DeploymentSpec) -> dict[str, dict[str, str]]:
    release = spec.release_name
    ui_url = f"https://{spec.ui_host}"
    core = {
        "dags_folder": f"{AIRFLOW_HOME}/dags",
        "executor": spec.executor,
        "load_examples": "False",
        # Pods have no resolvable hostname; the IP lets the UI fetch logs from a worker's log server.
        "hostname_callable": "airflow.utils.net.get_host_ip_address",
    }
    if _is_v3(spec):
        core["auth_manager"] = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
        # Task processes report to the execution API on the api-server, inside the namespace.
        core["execution_api_server_url"] = f"http://{_name(release, API_SERVER)}:{AIRFLOW_PORT}/execution/"
    config = {
        "core": core,
        "logging": {
            "base_log_folder": f"{AIRFLOW_HOME}/logs",
            "remote_logging": "False",
            "colored_console_log": "False",
        },
        "metrics": {
            "statsd_on": "True",
            "statsd_host": _name(release, STATSD),
            "statsd_port": str(STATSD_PORT),
            "statsd_prefix": "airflow",
        },
        "scheduler": {"standalone_dag_processor": "True" if _is_v3(spec) else "False"},
    }
    if _is_v3(spec):
        config["api"] = {"base_url": ui_url}
        config["fab"] = {"enable_proxy_fix": "True"}  # behind the ingress controller
    else:
        config["webserver"] = {"base_url": ui_url, "enable_proxy_fix": "True"}
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


def _task_pod_size(spec: DeploymentSpec) -> Size:
    return Size(Decimal(spec.task_pod_cpu), spec.task_pod_memory_mib)


def _pod_template(spec: DeploymentSpec) -> dict:
    """The KubernetesExecutor's task pod: the user's image, the default task size, no API token."""
    container = _airflow_container(spec, "base", _task_pod_size(spec), args=None, with_pod_template=False)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "placeholder-name", "labels": _labels(spec, WORKER)},
        "spec": {
            "serviceAccountName": _service_account_name(spec, WORKER),
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 600,
            "securityContext": _airflow_pod_security(),
            "containers": [container],
            "volumes": _airflow_volumes(spec),
        },
    }


# Our own short statsd mapping set: tag-style labels for the per-DAG and per-pool metrics people chart most.
_STATSD_MAPPINGS = {
    "mappings": [
        {
            "match": "airflow.dag.*.*.duration",
            "name": "airflow_task_duration",
            "labels": {"dag_id": "$1", "task_id": "$2"},
        },
        {
            "match": "airflow.dagrun.duration.success.*",
            "name": "airflow_dagrun_success_duration",
            "labels": {"dag_id": "$1"},
        },
        {
            "match": "airflow.dagrun.duration.failed.*",
            "name": "airflow_dagrun_failed_duration",
            "labels": {"dag_id": "$1"},
        },
        {
            "match": "airflow.dagrun.schedule_delay.*",
            "name": "airflow_dagrun_schedule_delay",
            "labels": {"dag_id": "$1"},
        },
        {"match": "airflow.pool.open_slots.*", "name": "airflow_pool_open_slots", "labels": {"pool": "$1"}},
        {"match": "airflow.pool.queued_slots.*", "name": "airflow_pool_queued_slots", "labels": {"pool": "$1"}},
        {"match": "airflow.pool.running_slots.*", "name": "airflow_pool_running_slots", "labels": {"pool": "$1"}},
        {
            "match": "airflow.ti.finish.*.*.*",
            "name": "airflow_ti_finish",
            "labels": {"dag_id": "$1", "task_id": "$2", "state": "$3"},
        },
    ]
}


def _config_maps(spec: DeploymentSpec) -> list[dict]:
    data = {"airflow.cfg": _ini(_airflow_config(spec))}
    if not spec.is_celery:
        data["pod_template_file.yaml"] = yaml.safe_dump(_pod_template(spec), sort_keys=False)
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta(spec, _name(spec.release_name, "config")),
            "data": data,
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta(spec, _name(spec.release_name, STATSD), STATSD),
            "data": {"mappings.yml": yaml.safe_dump(_STATSD_MAPPINGS, sort_keys=False)},
        },
    ]


def _config_hashes(spec: DeploymentSpec, by_name: dict[str, dict]) -> dict[str, str]:
    """A digest of exactly the configuration each kind of pod reads, so a change rolls the pods that use it and
    only those (environment variables and Secret keys are read once, at container start)."""
    release = spec.release_name

    def digest(*names: str) -> str:
        content = [[name, by_name[name]["data"]] for name in names]
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()

    airflow = [_name(release, "config"), _name(release, "env")]
    airflow += [_name(release, suffix) for suffix, _, _ in _airflow_secret_refs(spec)]
    hashes = {
        "airflow": digest(*airflow),
        PGBOUNCER: digest(_name(release, "pgbouncer-config")),
        STATSD: digest(_name(release, STATSD)),
    }
    if spec.is_celery:
        hashes[REDIS] = digest(_name(release, _REDIS_PASSWORD[0]))
    return hashes


# ------------------------------------------------------------------------------------------------------ containers


def _container_security() -> dict:
    # Satisfies pod security "restricted" (and so "baseline"): no privilege escalation, no capabilities.
    return {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def _pod_security(uid: int, gid: int, fs_group: int) -> dict:
    return {
        "runAsUser": uid,
        "runAsGroup": gid,
        "fsGroup": fs_group,
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _airflow_pod_security() -> dict:
    # As in the chart: the airflow user, group 0 (the official image makes AIRFLOW_HOME group-writable).
    return _pod_security(AIRFLOW_UID, 0, 0)


def _airflow_env(spec: DeploymentSpec) -> list[dict]:
    return [
        {"name": env, "valueFrom": {"secretKeyRef": {"name": _name(spec.release_name, suffix), "key": key}}}
        for suffix, key, env in _airflow_secret_refs(spec)
    ]


def _airflow_volumes(spec: DeploymentSpec) -> list[dict]:
    return [
        {"name": "config", "configMap": {"name": _name(spec.release_name, "config")}},
        {"name": "logs", "emptyDir": {}},
    ]


def _airflow_mounts(spec: DeploymentSpec, with_pod_template: bool) -> list[dict]:
    mounts = [
        {"name": "config", "mountPath": f"{AIRFLOW_HOME}/airflow.cfg", "subPath": "airflow.cfg", "readOnly": True},
        {"name": "logs", "mountPath": f"{AIRFLOW_HOME}/logs"},
    ]
    if with_pod_template and not spec.is_celery:
        mounts.append(
            {
                "name": "config",
                "mountPath": f"{POD_TEMPLATE_DIR}/pod_template_file.yaml",
                "subPath": "pod_template_file.yaml",
                "readOnly": True,
            }
        )
    return mounts


def _airflow_container(
    spec: DeploymentSpec,
    name: str,
    size: Size,
    args: list[str] | None,
    *,
    with_pod_template: bool = True,
    extra_env: list[dict] | None = None,
) -> dict:
    container = {"name": name, "image": _airflow_image(spec), "imagePullPolicy": "IfNotPresent"}
    if args is not None:
        container["args"] = args  # the image's entrypoint runs `airflow ...` commands
    container.update(
        {
            # The user's variables first; ours after them win (and the service layer forbids clashes anyway).
            "envFrom": [{"secretRef": {"name": _name(spec.release_name, "env")}}],
            "env": _airflow_env(spec) + (extra_env or []),
            "resources": _resources(size),
            "securityContext": _container_security(),
            "volumeMounts": _airflow_mounts(spec, with_pod_template),
        }
    )
    return container


def _job_check_probe(job_type: str) -> dict:
    # The chart's liveness check: is this process's job heartbeating in the metadata database?
    command = (
        "CONNECTION_CHECK_MAX_COUNT=0 AIRFLOW__LOGGING__LOGGING_LEVEL=ERROR "
        f"exec /entrypoint airflow jobs check --job-type {job_type} --local"
    )
    return {
        "exec": {"command": ["sh", "-c", command]},
        "initialDelaySeconds": 10,
        "periodSeconds": 60,
        "timeoutSeconds": 20,
        "failureThreshold": 5,
    }


def _http_probe(path: str, port: str, *, period: int, failures: int) -> dict:
    return {
        "httpGet": {"path": path, "port": port},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
    }


def _init_container(spec: DeploymentSpec, size: Size, migrate: bool) -> dict:
    """The scheduler migrates the metadata database before it starts (`airflow db migrate` is idempotent and
    locks, so two scheduler replicas are safe); everything else waits until the schema is current. Same size
    as the main container, so the pod's effective request (and the quota) do not change."""
    args = (
        ["airflow", "db", "migrate"]
        if migrate
        else ["airflow", "db", "check-migrations", "--migration-wait-timeout=60"]
    )
    name = "run-airflow-migrations" if migrate else "wait-for-airflow-migrations"
    return _airflow_container(spec, name, size, args, with_pod_template=False)


# ------------------------------------------------------------------------------------------------------ workloads


def _pod_template_spec(
    spec: DeploymentSpec,
    component: str,
    pod_spec: dict,
    config_hash: str,
    **extra_labels: str,
) -> dict:
    return {
        "metadata": {
            "labels": _labels(spec, component, **extra_labels),
            "annotations": {ANNOTATION_CONFIG_HASH: config_hash},
        },
        "spec": pod_spec,
    }


def _deployment(
    spec: DeploymentSpec,
    name: str,
    component: str,
    replicas: int | None,
    pod_spec: dict,
    config_hash: str,
    *,
    max_replicas: int | None = None,
    **extra_labels: str,
) -> dict:
    body = {}
    if replicas is not None:  # None: an autoscaler owns the replica count (up to max_replicas): apply none
        body["replicas"] = replicas
    body["selector"] = {"matchLabels": _selector(spec, component, **extra_labels)}
    # New pods start before old ones stop, so a rollout never lowers capacity; the quota has room for them.
    surge = quota.max_surge(max_replicas or replicas)
    body["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": 0}}
    body["template"] = _pod_template_spec(spec, component, pod_spec, config_hash, **extra_labels)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(spec, name, component, **extra_labels),
        "spec": body,
    }


def _airflow_pod_spec(
    spec: DeploymentSpec,
    component: str,
    container: dict,
    size: Size,
    *,
    migrate: bool = False,
    grace_seconds: int | None = None,
) -> dict:
    pod_spec = {"serviceAccountName": _service_account_name(spec, component)}
    if grace_seconds is not None:
        pod_spec["terminationGracePeriodSeconds"] = grace_seconds
    pod_spec.update(
        {
            "securityContext": _airflow_pod_security(),
            "initContainers": [_init_container(spec, size, migrate)],
            "containers": [container],
            "volumes": _airflow_volumes(spec),
        }
    )
    return pod_spec


def _scheduler(spec: DeploymentSpec, hashes: dict) -> dict:
    size = catalog.SCHEDULER_SIZES[spec.scheduler_size]
    parallelism = [{"name": "AIRFLOW__CORE__PARALLELISM", "value": str(_parallelism(spec))}]
    container = _airflow_container(spec, SCHEDULER, size, ["airflow", "scheduler"], extra_env=parallelism)
    container["livenessProbe"] = _job_check_probe("SchedulerJob")
    pod_spec = _airflow_pod_spec(spec, SCHEDULER, container, size, migrate=True)
    name = _name(spec.release_name, SCHEDULER)
    return _deployment(spec, name, SCHEDULER, spec.scheduler_replicas, pod_spec, hashes["airflow"])


def _ui(spec: DeploymentSpec, hashes: dict) -> dict:
    component = _ui_component(spec)
    if _is_v3(spec):
        args, port_name, health = ["airflow", "api-server"], "api-server", "/api/v2/monitor/health"
    else:
        args, port_name, health = ["airflow", "webserver"], "airflow-ui", "/health"
    container = _airflow_container(spec, component, catalog.API_SERVER, args)
    container["ports"] = [{"name": port_name, "containerPort": AIRFLOW_PORT, "protocol": "TCP"}]
    # The startup probe gives a slow first start (and gunicorn/uvicorn warm-up) five minutes before liveness
    # checks begin; readiness keeps the pod out of the Service until it answers.
    container["startupProbe"] = _http_probe(health, port_name, period=10, failures=30)
    container["readinessProbe"] = _http_probe(health, port_name, period=10, failures=3)
    container["livenessProbe"] = _http_probe(health, port_name, period=30, failures=5)
    pod_spec = _airflow_pod_spec(spec, component, container, catalog.API_SERVER)
    name = _name(spec.release_name, component)
    return _deployment(spec, name, component, spec.api_server_replicas, pod_spec, hashes["airflow"])


def _triggerer(spec: DeploymentSpec, hashes: dict) -> dict:
    container = _airflow_container(spec, TRIGGERER, catalog.TRIGGERER, ["airflow", "triggerer"])
    container["livenessProbe"] = _job_check_probe("TriggererJob")
    pod_spec = _airflow_pod_spec(spec, TRIGGERER, container, catalog.TRIGGERER, grace_seconds=60)
    name = _name(spec.release_name, TRIGGERER)
    return _deployment(spec, name, TRIGGERER, spec.triggerer_replicas, pod_spec, hashes["airflow"])


def _dag_processor(spec: DeploymentSpec, hashes: dict) -> dict:
    container = _airflow_container(spec, DAG_PROCESSOR, catalog.DAG_PROCESSOR, ["airflow", "dag-processor"])
    container["livenessProbe"] = _job_check_probe("DagProcessorJob")
    pod_spec = _airflow_pod_spec(spec, DAG_PROCESSOR, container, catalog.DAG_PROCESSOR)
    name = _name(spec.release_name, DAG_PROCESSOR)
    return _deployment(spec, name, DAG_PROCESSOR, 1, pod_spec, hashes["airflow"])


def _worker_name(spec: DeploymentSpec, queue: QueueSpec) -> str:
    return _name(spec.release_name, WORKER, queue.name)


def _autoscaled(queue: QueueSpec) -> bool:
    return queue.max_workers > max(queue.min_workers, 1)


def _worker(spec: DeploymentSpec, queue: QueueSpec, hashes: dict) -> dict:
    size = catalog.WORKER_TYPES[queue.worker_type].size
    args = ["airflow", "celery", "worker", "--queues", queue.name, "--concurrency", str(queue.concurrency)]
    container = _airflow_container(spec, WORKER, size, args)
    container["ports"] = [{"name": "worker-logs", "containerPort": WORKER_LOG_PORT, "protocol": "TCP"}]
    # Ten minutes for running tasks to finish when a worker is stopped (rollout or scale-in), as in the chart.
    pod_spec = _airflow_pod_spec(spec, WORKER, container, size, grace_seconds=600)
    # Zero workers needs a queue-length autoscaler (KEDA); with CPU autoscaling there is always at least one.
    replicas = None if _autoscaled(queue) else max(queue.min_workers, 1)
    return _deployment(
        spec,
        _worker_name(spec, queue),
        WORKER,
        replicas,
        pod_spec,
        hashes["airflow"],
        max_replicas=queue.max_workers,
        **{LABEL_QUEUE: queue.name},
    )


def _flower(spec: DeploymentSpec, hashes: dict) -> dict:
    container = _airflow_container(spec, FLOWER, catalog.FLOWER, ["airflow", "celery", "flower"])
    container["ports"] = [{"name": "flower-ui", "containerPort": FLOWER_PORT, "protocol": "TCP"}]
    container["readinessProbe"] = {"tcpSocket": {"port": "flower-ui"}, "periodSeconds": 10}
    pod_spec = _airflow_pod_spec(spec, FLOWER, container, catalog.FLOWER)
    return _deployment(spec, _name(spec.release_name, FLOWER), FLOWER, 1, pod_spec, hashes["airflow"])


def _statsd(spec: DeploymentSpec, hashes: dict) -> dict:
    container = {
        "name": STATSD,
        "image": STATSD_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "args": [
            "--statsd.mapping-config=/etc/statsd-exporter/mappings.yml",
            f"--statsd.listen-udp=:{STATSD_PORT}",
            f"--web.listen-address=:{STATSD_SCRAPE_PORT}",
        ],
        "ports": [
            {"name": "statsd-ingest", "containerPort": STATSD_PORT, "protocol": "UDP"},
            {"name": "statsd-scrape", "containerPort": STATSD_SCRAPE_PORT, "protocol": "TCP"},
        ],
        "readinessProbe": _http_probe("/metrics", "statsd-scrape", period=10, failures=3),
        "livenessProbe": _http_probe("/metrics", "statsd-scrape", period=30, failures=5),
        "resources": _resources(catalog.STATSD),
        "securityContext": {**_container_security(), "readOnlyRootFilesystem": True},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/statsd-exporter", "readOnly": True}],
    }
    pod_spec = {
        "serviceAccountName": _service_account_name(spec, STATSD),
        "securityContext": _pod_security(NOBODY, NOBODY, NOBODY),
        "containers": [container],
        "volumes": [{"name": "config", "configMap": {"name": _name(spec.release_name, STATSD)}}],
    }
    return _deployment(spec, _name(spec.release_name, STATSD), STATSD, 1, pod_spec, hashes[STATSD])


def _pgbouncer(spec: DeploymentSpec, hashes: dict) -> dict:
    container = {
        "name": PGBOUNCER,
        "image": PGBOUNCER_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "command": ["pgbouncer", "-u", "nobody", "/etc/pgbouncer/pgbouncer.ini"],
        "ports": [{"name": "pgbouncer", "containerPort": PGBOUNCER_PORT, "protocol": "TCP"}],
        "readinessProbe": {"tcpSocket": {"port": "pgbouncer"}, "periodSeconds": 10},
        "livenessProbe": {"tcpSocket": {"port": "pgbouncer"}, "periodSeconds": 30, "failureThreshold": 5},
        "resources": _resources(catalog.PGBOUNCER),
        "securityContext": _container_security(),
        "volumeMounts": [{"name": "config", "mountPath": "/etc/pgbouncer", "readOnly": True}],
    }
    pod_spec = {
        "serviceAccountName": _service_account_name(spec, PGBOUNCER),
        "securityContext": _pod_security(NOBODY, NOBODY, NOBODY),
        "containers": [container],
        "volumes": [{"name": "config", "secret": {"secretName": _name(spec.release_name, "pgbouncer-config")}}],
    }
    return _deployment(spec, _name(spec.release_name, PGBOUNCER), PGBOUNCER, 1, pod_spec, hashes[PGBOUNCER])


def _redis(spec: DeploymentSpec, hashes: dict) -> dict:
    name = _name(spec.release_name, REDIS)
    suffix, key, env = _REDIS_PASSWORD
    container = {
        "name": REDIS,
        "image": REDIS_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        # $(REDIS_PASSWORD) is expanded by the kubelet from the env below: the password never sits in the spec.
        "command": ["redis-server"],
        "args": ["--requirepass", f"$({env})", "--dir", "/data"],
        "env": [{"name": env, "valueFrom": {"secretKeyRef": {"name": _name(spec.release_name, suffix), "key": key}}}],
        "ports": [{"name": "redis-db", "containerPort": REDIS_PORT, "protocol": "TCP"}],
        "readinessProbe": {"tcpSocket": {"port": "redis-db"}, "periodSeconds": 10},
        "livenessProbe": {"tcpSocket": {"port": "redis-db"}, "periodSeconds": 30, "failureThreshold": 5},
        "resources": _resources(catalog.REDIS),
        "securityContext": _container_security(),
        "volumeMounts": [{"name": "redis-db", "mountPath": "/data"}],
    }
    pod_spec = {
        "serviceAccountName": _service_account_name(spec, REDIS),
        "securityContext": _pod_security(REDIS_UID, REDIS_GID, REDIS_GID),
        "containers": [container],
    }
    # A volume so queued task messages survive a Redis restart.
    claim = {
        "metadata": {"name": "redis-db", "labels": _labels(spec, REDIS)},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _meta(spec, name, REDIS),
        "spec": {
            "serviceName": name,
            "replicas": 1,
            "selector": {"matchLabels": _selector(spec, REDIS)},
            "template": _pod_template_spec(spec, REDIS, pod_spec, hashes[REDIS]),
            "volumeClaimTemplates": [claim],
        },
    }


def _workloads(spec: DeploymentSpec, hashes: dict) -> list[dict]:
    workloads = [_scheduler(spec, hashes), _ui(spec, hashes), _statsd(spec, hashes), _pgbouncer(spec, hashes)]
    if _has_triggerer(spec):
        workloads.append(_triggerer(spec, hashes))
    if _is_v3(spec):
        workloads.append(_dag_processor(spec, hashes))
    if spec.is_celery:
        workloads += [_redis(spec, hashes), _flower(spec, hashes)]
        workloads += [_worker(spec, queue, hashes) for queue in spec.queues]
    return workloads


def _autoscalers(spec: DeploymentSpec) -> list[dict]:
    """CPU-based autoscaling for queues with room to grow. Celery load shows in queue length better than in CPU;
    KEDA would do better (and allow zero), but the HPA needs nothing beyond a stock cluster."""
    if not spec.is_celery:
        return []
    return [
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": _meta(spec, _worker_name(spec, queue), WORKER, **{LABEL_QUEUE: queue.name}),
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
        for queue in spec.queues
        if _autoscaled(queue)
    ]


# ------------------------------------------------------------------------------------------------------- services


def _service(spec: DeploymentSpec, component: str, ports: list[dict]) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(spec, _name(spec.release_name, component), component),
        "spec": {"type": "ClusterIP", "selector": _selector(spec, component), "ports": ports},
    }


def _port(name: str, port: int, protocol: str = "TCP") -> dict:
    return {"name": name, "port": port, "targetPort": name, "protocol": protocol}


def _services(spec: DeploymentSpec) -> list[dict]:
    ui_port = "api-server" if _is_v3(spec) else "airflow-ui"
    services = [
        _service(spec, _ui_component(spec), [_port(ui_port, AIRFLOW_PORT)]),
        _service(
            spec,
            STATSD,
            [_port("statsd-ingest", STATSD_PORT, "UDP"), _port("statsd-scrape", STATSD_SCRAPE_PORT)],
        ),
        _service(spec, PGBOUNCER, [_port("pgbouncer", PGBOUNCER_PORT)]),
    ]
    if spec.is_celery:
        services += [
            _service(spec, REDIS, [_port("redis-db", REDIS_PORT)]),
            _service(spec, FLOWER, [_port("flower-ui", FLOWER_PORT)]),
        ]
    return services


# --------------------------------------------------------------------------------- disruption budgets and ingress


def _disruption_budgets(spec: DeploymentSpec) -> list[dict]:
    # A budget on a single replica would block node drains for nothing, except pgbouncer's, which the chart
    # keeps so that a drain moves it without a second eviction racing the first.
    components = []
    if spec.scheduler_replicas >= 2:
        components.append(SCHEDULER)
    if spec.api_server_replicas >= 2:
        components.append(_ui_component(spec))
    components.append(PGBOUNCER)
    return [
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": _meta(spec, _name(spec.release_name, component), component),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": _selector(spec, component)}},
        }
        for component in components
    ]


def _ingress(spec: DeploymentSpec) -> dict:
    ui = _ui_component(spec)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": _meta(spec, _name(spec.release_name, "ingress"), ui),
        "spec": {
            "ingressClassName": INGRESS_CLASS,
            "tls": [{"hosts": [spec.ui_host], "secretName": _name(spec.release_name, "tls")}],
            "rules": [
                {
                    "host": spec.ui_host,
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {
                                    "service": {
                                        "name": _name(spec.release_name, ui),
                                        "port": {"number": AIRFLOW_PORT},
                                    }
                                },
                            }
                        ]
                    },
                }
            ],
        },
    }
