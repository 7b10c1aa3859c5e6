"""How a Deployment's settings change is told: its event names each field's old and new value for people
("Airflow 3.0.6 → 3.1.3", "scheduler size Small → Large"); its audit entry keeps the values whole, as text."""

from decimal import Decimal

from deployments import catalog

CHANGE_LABELS = {
    "name": "name",
    "description": "description",
    "contact_emails": "contact emails",
    "airflow_version": "Airflow",
    "image_repository": "image repository",
    "image_tag": "image tag",
    "cluster": "cluster",
    "executor": "executor",
    "scheduler_size": "scheduler size",
    "scheduler_replicas": "scheduler replicas",
    "triggerer_replicas": "triggerer replicas",
    "api_server_replicas": "API server replicas",
    "task_pod_cpu": "task pod CPU",
    "task_pod_memory_mib": "task pod memory",
    "max_task_pods": "maximum task pods",
    "headroom_percent": "extra quota headroom",
}
SHOWN_AS = {
    "name": lambda value: f"“{_shortened(value)}”",
    "description": lambda value: f"“{_shortened(value)}”" if value else "(none)",
    "executor": lambda value: dict(catalog.Executor.choices)[value],
    "scheduler_size": lambda value: dict(catalog.SCHEDULER_SIZE_CHOICES)[value].split(":")[0],
    "task_pod_memory_mib": lambda value: f"{value} MiB",
    "headroom_percent": lambda value: f"{value}%",
    "cluster": lambda value: str(value) if value else "built-in (manifests only)",
}


def _shortened(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def recorded(value) -> str:
    """A field's value as the audit entry keeps it: plain text, whole."""
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def described(before: dict, changed: dict) -> str:
    parts = []
    for field, value in changed.items():
        shown = SHOWN_AS.get(field, lambda value: recorded(value) or "(none)")
        parts.append(f"{CHANGE_LABELS[field]} {shown(before[field])} → {shown(value)}")
    return f"Changed {'; '.join(parts)}."
