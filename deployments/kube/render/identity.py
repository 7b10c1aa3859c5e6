"""Identities and RBAC: one ServiceAccount per component (a Kubernetes API token only for those that need one), the
pod-launcher Role the components that start or watch pods are bound to, and under the KubernetesExecutor the
pod-log-reader Role that lets the UI read task pods' logs."""

from deployments.kube.render import dags
from deployments.kube.render.base import (
    DAG_PROCESSOR,
    FLOWER,
    PGBOUNCER,
    REDIS,
    SCHEDULER,
    STATSD,
    TRIGGERER,
    WORKER,
    dns_name,
    has_triggerer,
    is_v3,
    meta,
    service_account_name,
    ui_component,
)
from deployments.kube.spec import DeploymentSpec


def objects(spec: DeploymentSpec) -> list[dict]:
    return [*_service_accounts(spec), *_rbac(spec)]


def _service_account_names(spec: DeploymentSpec) -> dict[str, bool]:
    """Component -> whether its pods get a Kubernetes API token. Only those that launch or watch pods do."""
    launches_pods = not spec.is_celery  # the scheduler runs tasks as pods under the KubernetesExecutor
    # Under the KubernetesExecutor the UI reads a running task's log from its pod (the pod-log-reader role).
    accounts = {SCHEDULER: launches_pods, ui_component(spec): launches_pods}
    if has_triggerer(spec):
        accounts[TRIGGERER] = True  # deferrable KubernetesPodOperator watches pods from the triggerer
    if is_v3(spec):
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


def _service_accounts(spec: DeploymentSpec) -> list[dict]:
    # Registry credentials reach every pod through its ServiceAccount (task pods included).
    pulls = dags.image_pull_secrets(spec)
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": meta(spec, service_account_name(spec, component), component),
            "automountServiceAccountToken": token,
            **({"imagePullSecrets": pulls} if pulls else {}),
        }
        for component, token in _service_account_names(spec).items()
    ]


def _rbac(spec: DeploymentSpec) -> list[dict]:
    role_name = dns_name(spec.release_name, "pod-launcher-role")
    api = "rbac.authorization.k8s.io/v1"
    role = {
        "apiVersion": api,
        "kind": "Role",
        "metadata": meta(spec, role_name),
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
    if has_triggerer(spec):
        bound.append(TRIGGERER)
    binding = {
        "apiVersion": api,
        "kind": "RoleBinding",
        "metadata": meta(spec, dns_name(spec.release_name, "pod-launcher-rolebinding")),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role_name},
        "subjects": [
            {"kind": "ServiceAccount", "name": service_account_name(spec, c), "namespace": spec.namespace}
            for c in bound
        ],
    }
    result = [role, binding]
    if not spec.is_celery:
        result += _pod_log_reader(spec)
    return result


def _pod_log_reader(spec: DeploymentSpec) -> list[dict]:
    """As the chart binds its pod-log-reader role to the api-server (webserver before 3.0): the KubernetesExecutor
    reads a running task's log from its pod, looking the pod up by its labels."""
    role_name = dns_name(spec.release_name, "pod-log-reader-role")
    api = "rbac.authorization.k8s.io/v1"
    role = {
        "apiVersion": api,
        "kind": "Role",
        "metadata": meta(spec, role_name),
        "rules": [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "get", "watch"]},
            {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get", "list"]},
        ],
    }
    ui = ui_component(spec)
    binding = {
        "apiVersion": api,
        "kind": "RoleBinding",
        "metadata": meta(spec, dns_name(spec.release_name, "pod-log-reader-rolebinding"), ui),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role_name},
        "subjects": [{"kind": "ServiceAccount", "name": service_account_name(spec, ui), "namespace": spec.namespace}],
    }
    return [role, binding]
