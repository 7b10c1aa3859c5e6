"""The renderer, without a cluster: golden files, the Kubernetes OpenAPI schemas in strict mode for every minor we
support, our own checks (deployments.kube.checks) and behaviour. No database needed.

Regenerate the golden files after an intended change with `UPDATE_GOLDEN=1 pytest deployments/tests/test_render.py`
and review the diff."""

import ast
import base64
import dataclasses
import difflib
import json
import os
from decimal import Decimal
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from deployments import catalog, quota
from deployments.kube import checks
from deployments.kube.render import (
    ANNOTATION_CONFIG_HASH,
    CUSTOM_KINDS,
    EXPECTED_ENV_RESERVED,
    LABEL_DEPLOYMENT,
    LABEL_MANAGED,
    MANAGED_KINDS,
    owned_selector,
    redact,
    render,
    to_yaml,
)
from deployments.kube.spec import DeploymentSpec, GeneratedSecrets, MetadataDatabase, QueueSpec, TLSSpec
from deployments.tests.certificates import make_certificate

GOLDEN = Path(__file__).parent / "golden"
KUBERNETES_VERSIONS = ["1.30.0", "1.31.0", "1.32.0", "1.33.0", "1.34.0"]
RELEASE = "stellar-pulsar-4821"
NAMESPACE = f"aerodrome-{RELEASE}"

# Fake, fixed secrets; the metadata password needs URL-encoding on purpose.
SECRETS = GeneratedSecrets(
    fernet_key="dGVzdC1mZXJuZXQta2V5LW5vdC1hLXJlYWwtb25lLTAwMDA=",
    api_secret_key="test-api-secret-key",
    jwt_secret="test-jwt-secret",
    redis_password="test-redis-password",
    metadata_password="p@ss:w/rd#1",
    oauth_client_secret="test-oauth-client-secret",
)
DEFAULT_QUEUE = QueueSpec(name="default", worker_type="A5", min_workers=1, max_workers=1, concurrency=5)
ML_QUEUE = QueueSpec(name="ml", worker_type="A10", min_workers=0, max_workers=4, concurrency=10)
ISSUER_TLS = TLSSpec(mode=catalog.TLSMode.CLUSTER_ISSUER, cluster_issuer="letsencrypt-prod")
WILDCARD_TLS = TLSSpec(catalog.TLSMode.CERTIFICATE, "", *make_certificate("*.airflow.example.test"))


def make_spec(**overrides) -> DeploymentSpec:
    """A Celery, Airflow 3 Deployment with every field spelled out; override what a test is about."""
    fields = dict(
        id=42,
        release_name=RELEASE,
        name="Nightly ETL",
        organization_slug="acme",
        workspace_id=7,
        generation=3,
        airflow_version="3.1.3",
        image_repository="apache/airflow",
        image_tag="3.1.3",
        executor=catalog.Executor.CELERY,
        scheduler_size="SMALL",
        scheduler_replicas=1,
        triggerer_replicas=1,
        api_server_replicas=1,
        queues=(DEFAULT_QUEUE, ML_QUEUE),
        task_pod_cpu=Decimal("0.5"),
        task_pod_memory_mib=1024,
        max_task_pods=20,
        headroom_percent=20,
        env=(("AIRFLOW_VAR_GREETING", "hello"), ("API_TOKEN", "s3cr3t-token")),
        secrets=SECRETS,
        database=MetadataDatabase(host="postgres.aerodrome-system.svc", port=5432, name="af_42", user="af_42"),
        ingress_domain="airflow.example.test",
        kubernetes_version="1.34",
        contact_emails=("ops@acme.test",),
        oauth_client_id="test-oauth-client-id",
        oidc_issuer="https://aerodrome.example.test/o",
        tls=ISSUER_TLS,
        dag_sync_url="https://aerodrome.example.test/dag-sync/stellar-pulsar-4821/",
        dag_sync_token="test-dag-sync-token",
        dag_sync_interval=30,
        monitoring_namespace="monitoring",
    )
    fields.update(overrides)
    return DeploymentSpec(**fields)


def airflow2(**overrides) -> DeploymentSpec:
    return make_spec(airflow_version="2.11.0", image_tag="2.11.0", **overrides)


def kubernetes(**overrides) -> DeploymentSpec:
    return make_spec(executor=catalog.Executor.KUBERNETES, queues=(), **overrides)


LONG_A = "a" * 55 + "-queue-1"
LONG_B = "a" * 55 + "-queue-2"

VARIANTS = {
    "celery_airflow3": make_spec(),
    "celery_airflow2": airflow2(),
    "kubernetes_airflow3": kubernetes(),
    "kubernetes_airflow2": kubernetes(airflow_version="2.11.0", image_tag="2.11.0"),
    **{
        f"scheduler_{size.lower()}": make_spec(scheduler_size=size, scheduler_replicas=2)
        for size in catalog.SCHEDULER_SIZES
    },
    "ha": make_spec(scheduler_replicas=2, api_server_replicas=2),
    "ha_airflow2": airflow2(scheduler_replicas=2, api_server_replicas=2),
    "no_triggerer": make_spec(triggerer_replicas=0),
    "no_prometheus": make_spec(monitoring_namespace=""),
    "no_triggerer_kubernetes": kubernetes(triggerer_replicas=0),
    "many_queues": make_spec(
        queues=(
            DEFAULT_QUEUE,
            QueueSpec("etl-heavy", "A40", 2, 2, 40),  # min == max: fixed replicas
            QueueSpec("bursty", "A20", 0, 1, 20),  # at most one: fixed at one
            QueueSpec(LONG_A, "A60", 1, 30, 60),  # autoscaled, long name
            QueueSpec(LONG_B, "A5", 3, 10, 5),
            ML_QUEUE,
        )
    ),
    "empty_env": make_spec(env=()),
    "tls_none": make_spec(tls=TLSSpec()),
    "tls_none_airflow2": airflow2(tls=TLSSpec()),
    "tls_certificate": make_spec(tls=WILDCARD_TLS),
    "tls_certificate_kubernetes_airflow2": kubernetes(airflow_version="2.11.0", image_tag="2.11.0", tls=WILDCARD_TLS),
    "no_dag_sync": make_spec(dag_sync_url="", dag_sync_token=""),
    "no_dag_sync_kubernetes": kubernetes(dag_sync_url="", dag_sync_token=""),
    "pinned_with_pull_secret": make_spec(
        image_repository="registry.example.test:5000/acme/airflow",
        image_tag="v7",
        image_digest="sha256:" + "ab" * 32,
        registry_auths=(("registry.example.test:5000", "robot", "pull-p@ss"),),
    ),
    "pinned_kubernetes": kubernetes(
        image_repository="registry.example.test:5000/acme/airflow",
        image_digest="sha256:" + "cd" * 32,
        registry_auths=(("registry.example.test:5000", "robot", "pull-p@ss"),),
    ),
}
GOLDEN_VARIANTS = ["celery_airflow3", "celery_airflow2", "kubernetes_airflow3", "kubernetes_airflow2"]

_RENDERED = {name: render(spec) for name, spec in VARIANTS.items()}


def find(objects, kind, name):
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) <= 1
    return matches[0] if matches else None


def keys(objects) -> set[tuple[str, str]]:
    return {(o["kind"], o["metadata"]["name"]) for o in objects}


def workloads(objects):
    return [o for o in objects if o["kind"] in ("Deployment", "StatefulSet")]


def containers(pod_spec):
    """The pod's Airflow (and other components') containers, without the DAG sync ones (test_render_dags.py)."""
    every = pod_spec.get("initContainers", []) + pod_spec["containers"]
    return [c for c in every if not c["name"].startswith("dag-sync")]


def pod_template(objects) -> dict:
    return yaml.safe_load(find(objects, "ConfigMap", f"{RELEASE}-config")["data"]["pod_template_file.yaml"])


def config_hashes(objects) -> dict[str, str]:
    return {
        o["metadata"]["name"]: o["spec"]["template"]["metadata"]["annotations"][ANNOTATION_CONFIG_HASH]
        for o in workloads(objects)
    }


def airflow_cfg(objects) -> str:
    return find(objects, "ConfigMap", f"{RELEASE}-config")["data"]["airflow.cfg"]


def secret_value(objects, name, key) -> str:
    return base64.b64decode(find(objects, "Secret", name)["data"][key]).decode()


def cpu_cores(quantity: str) -> Decimal:
    return Decimal(quantity[:-1]) / 1000 if quantity.endswith("m") else Decimal(quantity)


def memory_mib(quantity: str) -> int:
    assert quantity.endswith("Mi"), quantity
    return int(quantity[:-2])


# ------------------------------------------------------------------------------------------------- golden files


@pytest.mark.parametrize("variant", GOLDEN_VARIANTS)
def test_golden(variant):
    path = GOLDEN / f"{variant}.yaml"
    actual = to_yaml(_RENDERED[variant])
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(actual)  # then compared like any other run, so the test still asserts
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to create it"
    expected = path.read_text()
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"golden/{path.name}",
                tofile="render()",
            )
        )
        pytest.fail(f"render() differs from {path.name} (UPDATE_GOLDEN=1 if intended):\n{diff}")


# ------------------------------------------------------------------------------------------ schemas, strict mode


def _distinct_objects() -> list[dict]:
    """Every rendered object once, plus each KubernetesExecutor pod template as a Pod."""
    seen, result = set(), []
    for objects in _RENDERED.values():
        candidates = list(objects)
        if find(objects, "ConfigMap", f"{RELEASE}-config")["data"].get("pod_template_file.yaml"):
            candidates.append(pod_template(objects))
        for obj in candidates:
            key = json.dumps(obj, sort_keys=True)
            if key not in seen:
                seen.add(key)
                result.append(obj)
    return result


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_is_valid_in_strict_mode(version):
    errors = []
    for obj in _distinct_objects():
        if (obj["apiVersion"], obj["kind"]) in CUSTOM_KINDS:
            continue  # kubernetes-validate knows only built-in kinds: test_render_custom_resources checks these
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            errors.append(f"{obj['kind']}/{obj['metadata']['name']}: {path}: {exc.message}")
    assert errors == []


def test_rendered_kinds_are_the_managed_kinds():
    produced = {(o["apiVersion"], o["kind"]) for objects in _RENDERED.values() for o in objects}
    # The PrometheusRule needs rule groups from the monitoring app: monitoring/tests/alerts/test_prometheus_rule.py.
    assert produced | {("monitoring.coreos.com/v1", "PrometheusRule")} == set(MANAGED_KINDS)


# ------------------------------------------------------------------------------------------------- our checks


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_our_checks_find_no_problems(variant):
    assert checks.problems(_RENDERED[variant]) == []


def _broken(mutate) -> list[str]:
    objects = json.loads(json.dumps(_RENDERED["celery_airflow3"]))
    mutate(objects)
    return checks.problems(objects)


def _get(objects, kind, suffix):
    return find(objects, kind, f"{RELEASE}-{suffix}")


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda o: _get(o, "Secret", "env")["metadata"].update(name="Bad_Name"), "not a DNS-1123 subdomain"),
        (lambda o: _get(o, "Service", "redis")["metadata"].update(name="1-redis"), "not a DNS label"),
        (lambda o: _get(o, "Secret", "env")["metadata"]["labels"].pop(LABEL_MANAGED), "missing label"),
        (lambda o: _get(o, "Secret", "env")["metadata"].update(namespace="default"), "not aerodrome-"),
        (lambda o: o.append(_get(o, "Secret", "env")), "appears more than once"),
        (
            lambda o: _get(o, "Deployment", "scheduler")["spec"]["template"]["spec"]["containers"][0]["resources"].pop(
                "limits"
            ),
            "has no limits",
        ),
        (
            lambda o: _get(o, "Deployment", "scheduler")["spec"]["template"]["spec"]["containers"][0]["resources"][
                "requests"
            ].update(cpu="one"),
            "invalid quantity",
        ),
        (lambda o: _get(o, "ResourceQuota", "quota")["spec"]["hard"].update(pods="lots"), "invalid quantity"),
        (
            lambda o: _get(o, "Deployment", "scheduler")["spec"]["selector"]["matchLabels"].update(extra="x"),
            "does not match its pod template",
        ),
        (lambda o: _get(o, "Service", "flower")["spec"]["selector"].update(extra="x"), "matches no workload"),
        (
            lambda o: _get(o, "Deployment", "worker-ml")["spec"]["selector"]["matchLabels"].pop("aerodrome.io/queue"),
            "also matches the pods of",
        ),
        (lambda o: o.remove(_get(o, "Secret", "fernet-key")), "Secret stellar-pulsar-4821-fernet-key is not rendered"),
        (lambda o: o.remove(_get(o, "ServiceAccount", "worker")), "ServiceAccount stellar-pulsar-4821-worker is not"),
        (lambda o: _get(o, "Deployment", "worker-ml")["spec"].update(replicas=2), "would fight"),
        (lambda o: _get(o, "Service", "api-server")["spec"]["ports"][0].update(targetPort="nope"), "targetPort nope"),
        (lambda o: _get(o, "Ingress", "ingress")["metadata"]["labels"].update(bad="-x-"), "invalid value"),
    ],
)
def test_our_checks_catch_mistakes(mutate, expected):
    found = _broken(mutate)
    assert any(expected in problem for problem in found), found


# --------------------------------------------------------------------------------------------------- behaviour


def test_render_is_deterministic_and_ordered():
    first, second = render(make_spec()), render(make_spec())
    assert first == second
    assert to_yaml(first) == to_yaml(second)
    assert first[0]["kind"] == "Namespace"
    order = {pair: i for i, pair in enumerate(MANAGED_KINDS)}
    sort_keys = [(order[(o["apiVersion"], o["kind"])], o["metadata"]["name"]) for o in first]
    assert sort_keys == sorted(sort_keys)


def test_every_object_carries_our_labels_and_namespace():
    for variant, objects in _RENDERED.items():
        spec = VARIANTS[variant]
        for obj in objects:
            labels = obj["metadata"]["labels"]
            assert labels["app.kubernetes.io/name"] == "airflow"
            assert labels["app.kubernetes.io/instance"] == RELEASE
            assert labels["app.kubernetes.io/version"] == spec.airflow_version
            assert labels["app.kubernetes.io/managed-by"] == "aerodrome"
            assert labels[LABEL_MANAGED] == "aerodrome"
            assert labels[LABEL_DEPLOYMENT] == RELEASE
            assert labels["aerodrome.io/workspace"] == "7"
            assert labels["aerodrome.io/organization"] == "acme"
            if obj["kind"] != "Namespace":
                assert obj["metadata"]["namespace"] == NAMESPACE


def test_selectors_never_use_the_version_label():
    for objects in _RENDERED.values():
        for obj in objects:
            spec = obj.get("spec") or {}
            selector = spec.get("selector") or spec.get("podSelector") or {}
            selector = selector.get("matchLabels", selector)
            assert "app.kubernetes.io/version" not in selector, obj["metadata"]["name"]


def test_owned_selector_matches_every_object():
    selector = owned_selector(make_spec())
    assert selector == owned_selector(RELEASE) == f"{LABEL_MANAGED}=aerodrome,{LABEL_DEPLOYMENT}={RELEASE}"
    wanted = dict(part.split("=") for part in selector.split(","))
    for obj in _RENDERED["celery_airflow3"]:
        assert wanted.items() <= obj["metadata"]["labels"].items()


def test_namespace_enforces_baseline_and_warns_on_restricted():
    labels = _RENDERED["celery_airflow3"][0]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    assert labels["pod-security.kubernetes.io/audit"] == "restricted"


def test_celery_airflow3_renders_the_full_set():
    objects = _RENDERED["celery_airflow3"]
    names = keys(objects)
    for component in ("scheduler", "api-server", "triggerer", "dag-processor", "statsd", "pgbouncer", "flower"):
        assert ("Deployment", f"{RELEASE}-{component}") in names
    assert ("StatefulSet", f"{RELEASE}-redis") in names
    assert ("Deployment", f"{RELEASE}-worker-default") in names
    assert ("Deployment", f"{RELEASE}-worker-ml") in names
    for secret in ("airflow-metadata", "fernet-key", "api-secret-key", "jwt-secret", "redis-password", "broker-url"):
        assert ("Secret", f"{RELEASE}-{secret}") in names
    assert ("Secret", f"{RELEASE}-webserver-secret-key") not in names
    worker = find(objects, "Deployment", f"{RELEASE}-worker-ml")["spec"]["template"]["spec"]["containers"][0]
    assert worker["args"] == ["airflow", "celery", "worker", "--queues", "ml", "--concurrency", "10"]
    assert worker["resources"]["limits"] == {"cpu": "2", "memory": "4096Mi"}
    assert "[celery]" not in airflow_cfg(objects)  # concurrency is per queue, on the command line
    assert "pod_template_file.yaml" not in find(objects, "ConfigMap", f"{RELEASE}-config")["data"]
    assert secret_value(objects, f"{RELEASE}-broker-url", "connection") == (
        f"redis://:test-redis-password@{RELEASE}-redis:6379/0"
    )


def test_kubernetes_executor_has_no_workers_redis_or_flower_and_a_pod_template():
    for variant in ("kubernetes_airflow3", "kubernetes_airflow2"):
        objects = _RENDERED[variant]
        names = {name for _, name in keys(objects)}
        assert not [n for n in names if "-worker-" in n or n.endswith(("-redis", "-flower"))]
        assert not [o for o in objects if o["kind"] in ("StatefulSet", "HorizontalPodAutoscaler")]
        assert ("Secret", f"{RELEASE}-broker-url") not in keys(objects)
        assert ("Secret", f"{RELEASE}-redis-password") not in keys(objects)
        cfg = airflow_cfg(objects)
        assert "executor = KubernetesExecutor" in cfg
        assert "[kubernetes_executor]" in cfg and "[celery]" not in cfg
        assert f"namespace = {NAMESPACE}" in cfg
        pod = pod_template(objects)
        base = pod["spec"]["containers"][0]
        assert base["name"] == "base"
        assert base["image"] == "apache/airflow:" + VARIANTS[variant].image_tag
        assert base["resources"] == {
            "requests": {"cpu": "500m", "memory": "1024Mi"},
            "limits": {"cpu": "500m", "memory": "1024Mi"},
        }
        scheduler = find(objects, "Deployment", f"{RELEASE}-scheduler")["spec"]["template"]["spec"]
        mounts = [m["mountPath"] for m in scheduler["containers"][0]["volumeMounts"]]
        assert "/opt/airflow/pod_templates/pod_template_file.yaml" in mounts
        # The scheduler launches the task pods, so it (and only it, with the triggerer) gets the pod-launcher role.
        binding = find(objects, "RoleBinding", f"{RELEASE}-pod-launcher-rolebinding")
        assert [s["name"] for s in binding["subjects"]] == [f"{RELEASE}-scheduler", f"{RELEASE}-triggerer"]
        accounts = {
            o["metadata"]["name"]: o["automountServiceAccountToken"] for o in objects if o["kind"] == "ServiceAccount"
        }
        assert accounts[f"{RELEASE}-scheduler"] is True
        assert accounts[f"{RELEASE}-worker"] is False  # task pods get no token


def test_celery_binds_the_pod_launcher_role_to_workers_and_triggerer():
    objects = _RENDERED["celery_airflow3"]
    binding = find(objects, "RoleBinding", f"{RELEASE}-pod-launcher-rolebinding")
    assert [s["name"] for s in binding["subjects"]] == [f"{RELEASE}-worker", f"{RELEASE}-triggerer"]
    role = find(objects, "Role", f"{RELEASE}-pod-launcher-role")
    rules = {(tuple(r["resources"]), tuple(r["verbs"])) for r in role["rules"]}
    assert (("pods",), ("create", "list", "get", "patch", "watch", "delete")) in rules
    assert (("pods/log",), ("get",)) in rules
    assert (("pods/exec",), ("create", "get")) in rules
    assert (("events",), ("list",)) in rules
    accounts = {
        o["metadata"]["name"]: o["automountServiceAccountToken"] for o in objects if o["kind"] == "ServiceAccount"
    }
    assert accounts == {
        f"{RELEASE}-scheduler": False,
        f"{RELEASE}-api-server": False,
        f"{RELEASE}-triggerer": True,
        f"{RELEASE}-dag-processor": False,
        f"{RELEASE}-worker": True,
        f"{RELEASE}-statsd": False,
        f"{RELEASE}-pgbouncer": False,
        f"{RELEASE}-redis": False,
        f"{RELEASE}-flower": False,
    }


def test_airflow2_renders_a_webserver_and_no_airflow3_parts():
    for variant in ("celery_airflow2", "kubernetes_airflow2"):
        objects = _RENDERED[variant]
        names = keys(objects)
        assert ("Deployment", f"{RELEASE}-webserver") in names
        assert ("Service", f"{RELEASE}-webserver") in names
        assert ("Secret", f"{RELEASE}-webserver-secret-key") in names
        for absent in (
            ("Deployment", f"{RELEASE}-api-server"),
            ("Deployment", f"{RELEASE}-dag-processor"),
            ("ServiceAccount", f"{RELEASE}-dag-processor"),
            ("Secret", f"{RELEASE}-api-secret-key"),
            ("Secret", f"{RELEASE}-jwt-secret"),
        ):
            assert absent not in names
        webserver = find(objects, "Deployment", f"{RELEASE}-webserver")["spec"]["template"]["spec"]["containers"][0]
        assert webserver["args"] == ["airflow", "webserver"]
        assert webserver["readinessProbe"]["httpGet"]["path"] == "/health"
        env = {e["name"] for e in webserver["env"]}
        assert "AIRFLOW__WEBSERVER__SECRET_KEY" in env
        assert not env & {"AIRFLOW__API__SECRET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET"}
        ingress = find(objects, "Ingress", f"{RELEASE}-ingress")
        backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
        assert backend == {"name": f"{RELEASE}-webserver", "port": {"number": 8080}}


def test_airflow3_api_server_and_its_secrets():
    objects = _RENDERED["celery_airflow3"]
    api = find(objects, "Deployment", f"{RELEASE}-api-server")["spec"]["template"]["spec"]["containers"][0]
    assert api["args"] == ["airflow", "api-server"]
    assert api["ports"] == [{"name": "api-server", "containerPort": 8080, "protocol": "TCP"}]
    for probe in ("readinessProbe", "livenessProbe"):
        assert api[probe]["httpGet"] == {"path": "/api/v2/monitor/health", "port": "api-server"}
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in api["env"]}
    assert env["AIRFLOW__API__SECRET_KEY"] == {"name": f"{RELEASE}-api-secret-key", "key": "api-secret-key"}
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == {"name": f"{RELEASE}-jwt-secret", "key": "jwt-secret"}
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == {"name": f"{RELEASE}-airflow-metadata", "key": "connection"}
    assert env["AIRFLOW__CORE__FERNET_KEY"] == {"name": f"{RELEASE}-fernet-key", "key": "fernet-key"}
    assert env["AIRFLOW__CELERY__BROKER_URL"] == {"name": f"{RELEASE}-broker-url", "key": "connection"}
    assert f"execution_api_server_url = http://{RELEASE}-api-server:8080/execution/" in airflow_cfg(objects)
    ingress = find(objects, "Ingress", f"{RELEASE}-ingress")["spec"]
    assert ingress["ingressClassName"] == "nginx"
    assert ingress["tls"] == [{"hosts": [f"{RELEASE}.airflow.example.test"], "secretName": f"{RELEASE}-tls"}]
    assert ingress["rules"][0]["host"] == f"{RELEASE}.airflow.example.test"


def test_metadata_connection_goes_through_pgbouncer_with_an_encoded_password():
    objects = _RENDERED["celery_airflow3"]
    assert secret_value(objects, f"{RELEASE}-airflow-metadata", "connection") == (
        f"postgresql://af_42:p%40ss%3Aw%2Frd%231@{RELEASE}-pgbouncer.{NAMESPACE}:6543/af_42"
    )
    ini = secret_value(objects, f"{RELEASE}-pgbouncer-config", "pgbouncer.ini")
    assert "af_42 = host=postgres.aerodrome-system.svc port=5432 dbname=af_42" in ini
    assert "listen_port = 6543" in ini
    assert secret_value(objects, f"{RELEASE}-pgbouncer-config", "users.txt") == '"af_42" "p@ss:w/rd#1"\n'


def test_user_environment_is_one_secret_read_through_env_from():
    objects = _RENDERED["celery_airflow3"]
    assert secret_value(objects, f"{RELEASE}-env", "API_TOKEN") == "s3cr3t-token"
    assert secret_value(objects, f"{RELEASE}-env", "AIRFLOW_VAR_GREETING") == "hello"
    assert find(_RENDERED["empty_env"], "Secret", f"{RELEASE}-env")["data"] == {}
    airflow_workloads = [w for w in workloads(objects) if "apache/airflow:3.1.3" in json.dumps(w)]
    # scheduler, api-server, triggerer, dag-processor, flower and the two workers
    assert len(airflow_workloads) == 7
    for workload in workloads(objects):
        for container in containers(workload["spec"]["template"]["spec"]):
            if container["image"] == "apache/airflow:3.1.3":
                assert container["envFrom"] == [{"secretRef": {"name": f"{RELEASE}-env"}}]


def test_secrets_use_base64_data_only():
    for obj in _RENDERED["celery_airflow3"]:
        if obj["kind"] == "Secret":
            assert "stringData" not in obj
            for value in obj["data"].values():
                base64.b64decode(value, validate=True)


def test_reserved_environment_covers_everything_we_set():
    for objects in _RENDERED.values():
        pods = [w["spec"]["template"]["spec"] for w in workloads(objects)]
        if find(objects, "ConfigMap", f"{RELEASE}-config")["data"].get("pod_template_file.yaml"):
            pods.append(pod_template(objects)["spec"])
        for pod in pods:
            for container in containers(pod):
                for env in container.get("env", []):
                    if env["name"].startswith("AIRFLOW__"):
                        assert env["name"] in EXPECTED_ENV_RESERVED
        # Settings in airflow.cfg that wire the components together must not be overridable either.
        for section, option in [("core", "executor"), ("metrics", "statsd_host"), ("core", "dags_folder")]:
            assert f"AIRFLOW__{section.upper()}__{option.upper()}" in EXPECTED_ENV_RESERVED
    assert "AIRFLOW__CORE__LOAD_EXAMPLES" not in EXPECTED_ENV_RESERVED  # users may tune ordinary settings


def test_airflow_pods_run_as_the_airflow_user_with_a_tight_security_context():
    for objects in _RENDERED.values():
        for workload in workloads(objects):
            pod = workload["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True
            assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
            for container in containers(pod):
                assert container["securityContext"]["allowPrivilegeEscalation"] is False
                assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
                if container["image"].startswith("apache/airflow:") and "pgbouncer" not in container["image"]:
                    assert pod["securityContext"]["runAsUser"] == 50000
                    assert pod["securityContext"]["fsGroup"] == 0
                    assert container["volumeMounts"][0] == {
                        "name": "config",
                        "mountPath": "/opt/airflow/airflow.cfg",
                        "subPath": "airflow.cfg",
                        "readOnly": True,
                    }


def test_only_the_scheduler_migrates_the_database():
    objects = _RENDERED["celery_airflow3"]
    for workload in workloads(objects):
        pod = workload["spec"]["template"]["spec"]
        inits = [c["name"] for c in pod.get("initContainers", []) if c["name"] != "dag-sync-init"]
        if workload["metadata"]["name"] == f"{RELEASE}-scheduler":
            assert inits == ["run-airflow-migrations"]
        elif pod["containers"][0]["image"] == "apache/airflow:3.1.3":
            assert inits == ["wait-for-airflow-migrations"]
        else:
            assert inits == []


@pytest.mark.parametrize("size", sorted(catalog.SCHEDULER_SIZES))
def test_scheduler_size_sets_requests_equal_to_limits(size):
    objects = _RENDERED[f"scheduler_{size.lower()}"]
    scheduler = find(objects, "Deployment", f"{RELEASE}-scheduler")
    assert scheduler["spec"]["replicas"] == 2
    want = catalog.SCHEDULER_SIZES[size]
    for container in containers(scheduler["spec"]["template"]["spec"]):
        resources = container["resources"]
        assert resources["requests"] == resources["limits"]
        assert cpu_cores(resources["limits"]["cpu"]) == want.cpu
        assert memory_mib(resources["limits"]["memory"]) == want.memory_mib
    limit_range = find(objects, "LimitRange", f"{RELEASE}-limits")
    pod_max = limit_range["spec"]["limits"][1]["max"]
    assert cpu_cores(pod_max["cpu"]) >= want.cpu


def test_high_availability_gets_disruption_budgets():
    objects = _RENDERED["ha"]
    budgets = {o["metadata"]["name"]: o["spec"] for o in objects if o["kind"] == "PodDisruptionBudget"}
    assert set(budgets) == {f"{RELEASE}-scheduler", f"{RELEASE}-api-server", f"{RELEASE}-pgbouncer"}
    assert all(b["maxUnavailable"] == 1 for b in budgets.values())
    assert find(objects, "Deployment", f"{RELEASE}-api-server")["spec"]["replicas"] == 2
    single = {o["metadata"]["name"] for o in _RENDERED["celery_airflow3"] if o["kind"] == "PodDisruptionBudget"}
    assert single == {f"{RELEASE}-pgbouncer"}
    airflow2_budgets = {o["metadata"]["name"] for o in _RENDERED["ha_airflow2"] if o["kind"] == "PodDisruptionBudget"}
    assert f"{RELEASE}-webserver" in airflow2_budgets


def test_no_triggerer_renders_no_triggerer_objects():
    for variant in ("no_triggerer", "no_triggerer_kubernetes"):
        objects = _RENDERED[variant]
        assert not [name for _, name in keys(objects) if "triggerer" in name]
        binding = find(objects, "RoleBinding", f"{RELEASE}-pod-launcher-rolebinding")
        assert all("triggerer" not in s["name"] for s in binding["subjects"])
    assert ("Deployment", f"{RELEASE}-triggerer") in keys(_RENDERED["celery_airflow3"])


def test_queue_replicas_and_autoscaling():
    objects = _RENDERED["many_queues"]
    spec = VARIANTS["many_queues"]
    autoscalers = {o["spec"]["scaleTargetRef"]["name"]: o for o in objects if o["kind"] == "HorizontalPodAutoscaler"}
    worker_names = [
        o["metadata"]["name"] for o in objects if o["kind"] == "Deployment" and "-worker-" in o["metadata"]["name"]
    ]
    assert len(worker_names) == len(set(worker_names)) == len(spec.queues)
    by_queue = {}
    for obj in objects:
        if obj["kind"] == "Deployment" and obj["metadata"]["labels"].get("aerodrome.io/queue"):
            by_queue[obj["metadata"]["labels"]["aerodrome.io/queue"]] = obj
    assert set(by_queue) == {q.name for q in spec.queues}
    for queue in spec.queues:
        deployment = by_queue[queue.name]
        name = deployment["metadata"]["name"]
        assert len(name) <= 63
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["args"][3:5] == ["--queues", queue.name]
        if queue.max_workers > max(queue.min_workers, 1):
            assert "replicas" not in deployment["spec"]
            hpa = autoscalers[name]["spec"]
            assert hpa["minReplicas"] == max(queue.min_workers, 1)
            assert hpa["maxReplicas"] == queue.max_workers
            assert hpa["metrics"][0]["resource"] == {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 70},
            }
        else:
            assert deployment["spec"]["replicas"] == max(queue.min_workers, 1)
            assert name not in autoscalers
    assert by_queue["etl-heavy"]["spec"]["replicas"] == 2  # min == max
    assert by_queue["bursty"]["spec"]["replicas"] == 1  # 0..1 runs one (zero needs KEDA)
    # Two long queue names sharing a 55-character prefix still get distinct, short names.
    long_names = {by_queue[LONG_A]["metadata"]["name"], by_queue[LONG_B]["metadata"]["name"]}
    assert len(long_names) == 2 and all(len(n) <= 63 for n in long_names)


def test_removing_a_queue_removes_exactly_its_objects():
    before = keys(render(make_spec()))
    after = keys(render(make_spec(queues=(DEFAULT_QUEUE,))))
    assert before - after == {
        ("Deployment", f"{RELEASE}-worker-ml"),
        ("HorizontalPodAutoscaler", f"{RELEASE}-worker-ml"),
    }
    assert after <= before


def test_config_hash_follows_configuration_and_nothing_else():
    base = config_hashes(render(make_spec()))
    assert all(len(h) == 64 for h in base.values())

    changed_env = config_hashes(
        render(make_spec(env=(("AIRFLOW_VAR_GREETING", "bonjour"), ("API_TOKEN", "s3cr3t-token"))))
    )
    airflow_pods = {name for name in base if not name.endswith(("-statsd", "-pgbouncer", "-redis"))}
    for name in base:
        if name in airflow_pods:
            assert changed_env[name] != base[name], name
        else:
            assert changed_env[name] == base[name], name

    # Scaling changes no configuration, so no pod restarts for it.
    scaled = make_spec(scheduler_replicas=2, api_server_replicas=3, triggerer_replicas=2)
    assert config_hashes(render(scaled)) == base
    resized_queue = make_spec(queues=(DEFAULT_QUEUE, dataclasses.replace(ML_QUEUE, max_workers=8)))
    assert config_hashes(render(resized_queue)) == base

    # A new database password rolls Airflow (the connection string) and pgbouncer (its users file).
    new_password = make_spec(secrets=dataclasses.replace(SECRETS, metadata_password="another"))
    rolled = config_hashes(render(new_password))
    assert rolled[f"{RELEASE}-pgbouncer"] != base[f"{RELEASE}-pgbouncer"]
    assert rolled[f"{RELEASE}-scheduler"] != base[f"{RELEASE}-scheduler"]
    assert rolled[f"{RELEASE}-statsd"] == base[f"{RELEASE}-statsd"]


def test_resource_quota_comes_from_the_quota_module_and_fits_every_pod():
    for variant, objects in _RENDERED.items():
        spec = VARIANTS[variant]
        figures = quota.for_spec(spec)
        hard = find(objects, "ResourceQuota", f"{RELEASE}-quota")["spec"]["hard"]
        assert hard == {
            "requests.cpu": figures.cpu_quantity,
            "limits.cpu": figures.cpu_quantity,
            "requests.memory": figures.memory_quantity,
            "limits.memory": figures.memory_quantity,
            "pods": str(figures.pods),
            "requests.ephemeral-storage": "50Gi",
            "limits.ephemeral-storage": "50Gi",
        }
        # Everything at its largest scale fits the quota.
        autoscalers = {
            o["metadata"]["name"]: o["spec"]["maxReplicas"] for o in objects if o["kind"] == "HorizontalPodAutoscaler"
        }
        pod_max = find(objects, "LimitRange", f"{RELEASE}-limits")["spec"]["limits"][1]["max"]
        cpu, memory, pods = Decimal(0), 0, 0
        for workload in workloads(objects):
            name = workload["metadata"]["name"]
            replicas = workload["spec"].get("replicas", autoscalers.get(name))
            main = workload["spec"]["template"]["spec"]["containers"]
            pod_cpu = sum(cpu_cores(c["resources"]["limits"]["cpu"]) for c in main)
            pod_memory = sum(memory_mib(c["resources"]["limits"]["memory"]) for c in main)
            assert pod_cpu <= cpu_cores(pod_max["cpu"]) and pod_memory <= memory_mib(pod_max["memory"]), name
            cpu, memory, pods = cpu + replicas * pod_cpu, memory + replicas * pod_memory, pods + replicas
        if not spec.is_celery:
            cpu += spec.max_task_pods * spec.task_pod_cpu
            memory += spec.max_task_pods * spec.task_pod_memory_mib
            pods += spec.max_task_pods
        assert cpu <= figures.cpu and memory <= figures.memory_mib and pods <= figures.pods, variant
        # Every pod the quota admits gets the default ephemeral storage, and together they fit its 50Gi.
        container_default = find(objects, "LimitRange", f"{RELEASE}-limits")["spec"]["limits"][0]["default"]
        assert figures.pods * memory_mib(container_default["ephemeral-storage"]) <= 50 * 1024, variant


def _surge(workload: dict, replicas: int) -> int:
    """The extra pods a rolling update of this workload may start, as Kubernetes reads its rendered strategy."""
    if workload["kind"] == "StatefulSet":
        return 0  # it replaces pods one by one: the old one goes before the new one starts
    strategy = workload["spec"].get("strategy", {"type": "RollingUpdate"})
    if strategy["type"] == "Recreate":
        return 0
    max_surge = strategy.get("rollingUpdate", {}).get("maxSurge", "25%")
    if isinstance(max_surge, str):  # a percentage, rounded up
        return -(-replicas * int(max_surge.rstrip("%")) // 100)
    return max_surge


def _effective_size(pod_spec: dict) -> tuple[Decimal, int]:
    """What the quota charges a pod: the larger of its containers' sum and its largest init container."""
    main = pod_spec["containers"]
    cpu = sum(cpu_cores(c["resources"]["limits"]["cpu"]) for c in main)
    memory = sum(memory_mib(c["resources"]["limits"]["memory"]) for c in main)
    for init in pod_spec.get("initContainers", []):
        cpu = max(cpu, cpu_cores(init["resources"]["limits"]["cpu"]))
        memory = max(memory, memory_mib(init["resources"]["limits"]["memory"]))
    return cpu, memory


@pytest.mark.parametrize("variant", VARIANTS)
def test_with_no_headroom_the_quota_still_admits_every_rollout_at_full_scale(variant):
    """A config change rolls every workload at once: at their largest scale, plus every surge pod their rendered
    strategies allow, they must fit the ResourceQuota, or a surge pod is refused and the rollout stalls."""
    spec = dataclasses.replace(VARIANTS[variant], headroom_percent=0)
    objects = render(spec)
    autoscalers = {
        o["spec"]["scaleTargetRef"]["name"]: o["spec"]["maxReplicas"]
        for o in objects
        if o["kind"] == "HorizontalPodAutoscaler"
    }
    cpu, memory, pods = Decimal(0), 0, 0
    for workload in workloads(objects):
        name = workload["metadata"]["name"]
        replicas = autoscalers.get(name, workload["spec"].get("replicas", 1))
        peak = replicas + _surge(workload, replicas)
        pod_cpu, pod_memory = _effective_size(workload["spec"]["template"]["spec"])
        cpu, memory, pods = cpu + peak * pod_cpu, memory + peak * pod_memory, pods + peak
    if not spec.is_celery:
        cpu += spec.max_task_pods * spec.task_pod_cpu
        memory += spec.max_task_pods * spec.task_pod_memory_mib
        pods += spec.max_task_pods
    hard = find(objects, "ResourceQuota", f"{RELEASE}-quota")["spec"]["hard"]
    assert cpu <= cpu_cores(hard["requests.cpu"]), (cpu, hard)
    assert memory <= memory_mib(hard["requests.memory"]), (memory, hard)
    assert pods <= int(hard["pods"]), (pods, hard)


def test_network_policies_deny_by_default_and_admit_the_ingress_controller():
    objects = _RENDERED["celery_airflow3"]
    deny = find(objects, "NetworkPolicy", f"{RELEASE}-default-deny-ingress")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress"]}
    same = find(objects, "NetworkPolicy", f"{RELEASE}-allow-same-namespace")["spec"]
    assert same["ingress"] == [{"from": [{"podSelector": {}}]}]
    controller = find(objects, "NetworkPolicy", f"{RELEASE}-allow-ingress-controller")["spec"]
    assert controller["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "api-server"
    peer = controller["ingress"][0]["from"][0]
    assert peer == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}


def test_services_and_their_ports():
    objects = _RENDERED["celery_airflow3"]
    ports = {
        o["metadata"]["name"]: [(p["port"], p["protocol"]) for p in o["spec"]["ports"]]
        for o in objects
        if o["kind"] == "Service"
    }
    assert ports == {
        f"{RELEASE}-api-server": [(8080, "TCP")],
        f"{RELEASE}-statsd": [(9125, "UDP"), (9102, "TCP")],
        f"{RELEASE}-pgbouncer": [(6543, "TCP")],
        f"{RELEASE}-redis": [(6379, "TCP")],
        f"{RELEASE}-flower": [(5555, "TCP")],
    }
    redis = find(objects, "StatefulSet", f"{RELEASE}-redis")["spec"]
    assert redis["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "1Gi"
    container = redis["template"]["spec"]["containers"][0]
    assert container["image"] == "redis:7.2-alpine"
    assert container["args"][:2] == ["--requirepass", "$(REDIS_PASSWORD)"]
    assert "test-redis-password" not in json.dumps(redis)


def test_redact_hides_every_secret_value_and_yaml_round_trips():
    objects = _RENDERED["celery_airflow3"]
    redacted = redact(objects)
    text = to_yaml(redacted)
    for value in (
        SECRETS.fernet_key,
        SECRETS.jwt_secret,
        SECRETS.api_secret_key,
        SECRETS.redis_password,
        "s3cr3t-token",
    ):
        assert value not in text
        assert base64.b64encode(value.encode()).decode() not in text
    assert "p%40ss" not in text and "p@ss" not in text
    for obj in redacted:
        if obj["kind"] == "Secret":
            assert set(obj["data"].values()) <= {"<redacted>"}
    assert objects == _RENDERED["celery_airflow3"]  # the originals are untouched
    assert find(objects, "Secret", f"{RELEASE}-env")["data"]["API_TOKEN"] != "<redacted>"

    assert list(yaml.safe_load_all(to_yaml(objects))) == objects
    assert list(yaml.safe_load_all(text)) == redacted
    assert to_yaml(objects).startswith("---\n")
    assert to_yaml(objects).count("\n---\n") == len(objects) - 1


def test_airflow31_async_engine_gets_connect_args_that_survive_pgbouncer_transaction_pooling():
    """The rendered config sends Airflow 3.1's asyncpg engine connect args without statement caches and with unique
    statement names, from a module every Airflow container mounts (test_real_airflow runs it through pgbouncer)."""
    for variant in ("celery_airflow3", "kubernetes_airflow3"):
        objects = _RENDERED[variant]
        assert "[database]\nsql_alchemy_connect_args_async = aerodrome_pgbouncer.ASYNC_CONNECT_ARGS\n" in airflow_cfg(
            objects
        )
        source = find(objects, "ConfigMap", f"{RELEASE}-config")["data"]["aerodrome_pgbouncer.py"]
        module = ast.parse(source)  # a valid module (it runs in test_real_airflow, where asyncpg is installed)
        [args] = [
            node.value
            for node in module.body
            if isinstance(node, ast.Assign) and node.targets[0].id == "ASYNC_CONNECT_ARGS"
        ]
        args = {key.value: value for key, value in zip(args.keys, args.values, strict=True)}
        assert args["statement_cache_size"].value == 0 and args["prepared_statement_cache_size"].value == 0
        assert args["connection_class"].id == "UniquelyNamedStatements"
        pods = [w["spec"]["template"]["spec"] for w in workloads(objects)]
        if variant.startswith("kubernetes"):
            pods.append(pod_template(objects)["spec"])
        for pod in pods:
            for container in containers(pod):
                if container["image"] == "apache/airflow:3.1.3":
                    assert {
                        "name": "config",
                        "mountPath": "/opt/airflow/config/aerodrome_pgbouncer.py",
                        "subPath": "aerodrome_pgbouncer.py",
                        "readOnly": True,
                    } in container["volumeMounts"]
    # Airflow 3.0 opens no async session and 2.x has no async engine: nothing to configure there.
    for spec in (make_spec(airflow_version="3.0.6", image_tag="3.0.6"), airflow2()):
        assert "sql_alchemy_connect_args_async" not in airflow_cfg(render(spec))


def _allowed(objects, service_account: str, resource: str, verb: str) -> bool:
    """Whether RBAC as rendered lets a ServiceAccount of the namespace do `verb` on `resource` (core group)."""
    roles = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Role"}
    for binding in (o for o in objects if o["kind"] == "RoleBinding"):
        subjects = {(s["kind"], s["name"], s["namespace"]) for s in binding["subjects"]}
        if ("ServiceAccount", service_account, NAMESPACE) not in subjects:
            continue
        for rule in roles[binding["roleRef"]["name"]]["rules"]:
            if "" in rule["apiGroups"] and resource in rule["resources"] and verb in rule["verbs"]:
                return True
    return False


def test_kubernetes_executor_api_server_may_read_task_pod_logs():
    """The api-server (webserver in Airflow 2) reads a running task's log from its pod through the Kubernetes API,
    as the chart's pod-log-reader role allows: it needs its token and get on pods/log, list and get on pods."""
    for variant, ui in (("kubernetes_airflow3", "api-server"), ("kubernetes_airflow2", "webserver")):
        objects = _RENDERED[variant]
        account = find(objects, "ServiceAccount", f"{RELEASE}-{ui}")
        assert account["automountServiceAccountToken"] is True, variant
        for resource, verb in (("pods/log", "get"), ("pods", "list"), ("pods", "get"), ("pods", "watch")):
            assert _allowed(objects, f"{RELEASE}-{ui}", resource, verb), (variant, resource, verb)
        # Reading is all it may do.
        for resource, verb in (("pods", "create"), ("pods", "delete"), ("pods/exec", "create"), ("secrets", "get")):
            assert not _allowed(objects, f"{RELEASE}-{ui}", resource, verb), (variant, resource, verb)
    # Under Celery, task logs come from the workers' log servers: the api-server gets no Kubernetes access.
    for variant, ui in (("celery_airflow3", "api-server"), ("celery_airflow2", "webserver")):
        objects = _RENDERED[variant]
        assert find(objects, "ServiceAccount", f"{RELEASE}-{ui}")["automountServiceAccountToken"] is False
        assert not _allowed(objects, f"{RELEASE}-{ui}", "pods/log", "get")


def test_celery_workers_serve_logs_where_the_api_server_fetches_them():
    """The api-server fetches a Celery task's log from http://<ti.hostname>:<worker_log_server_port>/log/..., signed
    with the secret key: the hostname is the worker pod's IP (no DNS needed), the port is the one the worker
    container exposes, and every Airflow container reads the same secret key."""
    for variant, key_env in (
        ("celery_airflow3", "AIRFLOW__API__SECRET_KEY"),
        ("celery_airflow2", "AIRFLOW__WEBSERVER__SECRET_KEY"),
    ):
        objects = _RENDERED[variant]
        cfg = airflow_cfg(objects)
        assert "hostname_callable = airflow.utils.net.get_host_ip_address" in cfg
        worker = find(objects, "Deployment", f"{RELEASE}-worker-ml")["spec"]["template"]["spec"]["containers"][0]
        [port] = [p["containerPort"] for p in worker["ports"] if p["name"] == "worker-logs"]
        assert f"[logging]\nbase_log_folder = /opt/airflow/logs\nworker_log_server_port = {port}\n" in cfg
        references = set()
        for workload in workloads(objects):
            for container in containers(workload["spec"]["template"]["spec"]):
                if container["image"].startswith("apache/airflow:") and "pgbouncer" not in container["image"]:
                    [ref] = [e["valueFrom"]["secretKeyRef"] for e in container["env"] if e["name"] == key_env]
                    references.add((ref["name"], ref["key"]))
        assert len(references) == 1, references
    assert "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT" in EXPECTED_ENV_RESERVED


# ------------------------------------------------------------------------------------------ login through Aerodrome


@pytest.mark.parametrize("variant", GOLDEN_VARIANTS)
def test_the_ui_logs_people_in_through_aerodrome_and_only_it_reads_the_client_secret(variant):
    objects = _RENDERED[variant]
    spec = VARIANTS[variant]
    ui = "api-server" if spec.airflow_major >= 3 else "webserver"
    source = find(objects, "ConfigMap", f"{RELEASE}-config")["data"]["webserver_config.py"]
    compile(source, "webserver_config.py", "exec")  # valid Python, whatever the id and issuer hold
    assert "AUTH_TYPE = AUTH_OAUTH" in source and "AUTH_ROLES_SYNC_AT_LOGIN = True" in source
    assert "'test-oauth-client-id'" in source and "'https://aerodrome.example.test/o'" in source
    assert "test-oauth-client-secret" not in source  # the secret comes from the Secret, as a variable
    secret = find(objects, "Secret", f"{RELEASE}-oauth-client")
    assert base64.b64decode(secret["data"]["client-secret"]).decode() == "test-oauth-client-secret"
    for workload in workloads(objects):
        for container in containers(workload["spec"]["template"]["spec"]):
            reads = any(e["name"] == "AERODROME_OAUTH_CLIENT_SECRET" for e in container.get("env", []))
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            is_ui = workload["metadata"]["name"] == f"{RELEASE}-{ui}" and container["name"] == ui
            assert reads == is_ui, (workload["metadata"]["name"], container["name"])
            assert ("/opt/airflow/webserver_config.py" in mounts) == is_ui
    cfg = find(objects, "ConfigMap", f"{RELEASE}-config")["data"]["airflow.cfg"]
    section = "fab" if spec.airflow_major >= 3 else "webserver"
    assert f"[{section}]" in cfg and "config_file = /opt/airflow/webserver_config.py" in cfg
    assert "session_lifetime_minutes = 60" in cfg
    assert ("jwt_expiration_time = 3600" in cfg) == (spec.airflow_major >= 3)


def test_without_an_oauth_client_nothing_of_the_login_is_rendered():
    objects = render(make_spec(oauth_client_id=""))
    assert "webserver_config.py" not in find(objects, "ConfigMap", f"{RELEASE}-config")["data"]
    assert find(objects, "Secret", f"{RELEASE}-oauth-client") is None
