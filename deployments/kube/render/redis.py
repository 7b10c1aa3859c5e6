"""Redis, the Celery broker (CeleryExecutor only): a StatefulSet with a volume, and its Service. Its password
Secret is with the other secrets."""

from deployments import catalog
from deployments.kube.render.base import (
    REDIS,
    REDIS_PORT,
    dns_name,
    labels,
    meta,
    port,
    resources,
    selector,
    service,
    service_account_name,
)
from deployments.kube.render.pods import container_security, pod_security, pod_template_spec
from deployments.kube.render.secrets import REDIS_PASSWORD
from deployments.kube.spec import DeploymentSpec

REDIS_IMAGE = "redis:7.2-alpine"
REDIS_UID, REDIS_GID = 999, 1000  # the redis user of the official alpine image


def objects(spec: DeploymentSpec, hashes: dict) -> list[dict]:
    name = dns_name(spec.release_name, REDIS)
    suffix, key, env = REDIS_PASSWORD
    container = {
        "name": REDIS,
        "image": REDIS_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        # $(REDIS_PASSWORD) is expanded by the kubelet from the env below: the password never sits in the spec.
        "command": ["redis-server"],
        "args": ["--requirepass", f"$({env})", "--dir", "/data"],
        "env": [
            {"name": env, "valueFrom": {"secretKeyRef": {"name": dns_name(spec.release_name, suffix), "key": key}}}
        ],
        "ports": [{"name": "redis-db", "containerPort": REDIS_PORT, "protocol": "TCP"}],
        "readinessProbe": {"tcpSocket": {"port": "redis-db"}, "periodSeconds": 10},
        "livenessProbe": {"tcpSocket": {"port": "redis-db"}, "periodSeconds": 30, "failureThreshold": 5},
        "resources": resources(catalog.REDIS),
        "securityContext": container_security(),
        "volumeMounts": [{"name": "redis-db", "mountPath": "/data"}],
    }
    pod_spec = {
        "serviceAccountName": service_account_name(spec, REDIS),
        "securityContext": pod_security(REDIS_UID, REDIS_GID, REDIS_GID),
        "containers": [container],
    }
    # A volume so queued task messages survive a Redis restart.
    claim = {
        "metadata": {"name": "redis-db", "labels": labels(spec, REDIS)},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    statefulset = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": meta(spec, name, REDIS),
        "spec": {
            "serviceName": name,
            "replicas": 1,
            "selector": {"matchLabels": selector(spec, REDIS)},
            "template": pod_template_spec(spec, REDIS, pod_spec, hashes[REDIS]),
            "volumeClaimTemplates": [claim],
        },
    }
    return [statefulset, service(spec, REDIS, [port("redis-db", REDIS_PORT)])]
