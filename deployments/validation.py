"""Checks on every field a user can set on a Deployment, a queue or a variable. Each raises a ValidationError
keyed by the field, with a message that says what is allowed, so pages, the API and the admin agree."""

import re
from decimal import Decimal, InvalidOperation

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from aerodrome import outbound
from aerodrome.validation import ErrorCollector, clean_name
from deployments import catalog, metadata_db

IMAGE_REPOSITORY = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$")
IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
QUEUE_NAME = re.compile(catalog.QUEUE_NAME_PATTERN)
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")
MAX_CONTACT_EMAILS = 20


def clean_choice(value, choices, *, field: str, what: str) -> str:
    allowed = [key for key, _ in choices] if choices and isinstance(choices[0], tuple) else list(choices)
    if value not in allowed:
        raise ValidationError({field: f"{value!r} is not a valid {what}; choose one of: {', '.join(allowed)}."})
    return value


def clean_int(value, bounds: tuple[int, int], *, field: str, what: str) -> int:
    low, high = bounds
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError({field: f"Enter a whole number for {what}."}) from None
    if not low <= number <= high:
        raise ValidationError({field: f"{what[0].upper()}{what[1:]} must be between {low} and {high}."})
    return number


def clean_decimal(value, bounds: tuple[Decimal, Decimal], *, field: str, what: str) -> Decimal:
    low, high = bounds
    try:
        number = Decimal(str(value).strip())
    except (TypeError, InvalidOperation):
        raise ValidationError({field: f"Enter a number for {what}."}) from None
    if not number.is_finite() or not low <= number <= high or number != round(number, 2):
        raise ValidationError({field: f"{what[0].upper()}{what[1:]} must be between {low} and {high}, in hundredths."})
    return number


def clean_description(value, *, max_length: int = 1000) -> str:
    value = (value or "").strip()
    if len(value) > max_length:
        raise ValidationError({"description": f"The description can be at most {max_length} characters long."})
    return value


def clean_contact_emails(value) -> list[str]:
    """Accepts a list or text with one address per line or comma; returns them deduplicated, lower-cased. Every
    invalid address is named."""
    items = value if isinstance(value, (list, tuple)) else re.split(r"[\s,;]+", value or "")
    emails: list[str] = []
    problems: list[str] = []
    for item in items:
        email = str(item).strip().lower()
        if not email:
            continue
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"“{email}” is not a valid email address.")
            continue
        if email not in emails:
            emails.append(email)
    if len(emails) > MAX_CONTACT_EMAILS:
        problems.append(f"Give at most {MAX_CONTACT_EMAILS} contact addresses.")
    if problems:
        raise ValidationError({"contact_emails": problems})
    return emails


def clean_image_repository(value) -> str:
    value = (value or "").strip() or catalog.DEFAULT_IMAGE_REPOSITORY
    if len(value) > 255 or not IMAGE_REPOSITORY.match(value):
        raise ValidationError({"image_repository": "Enter an image repository such as apache/airflow."})
    return value


def clean_image_tag(value, *, airflow_version: str) -> str:
    value = (value or "").strip() or catalog.default_image_tag(airflow_version)
    if not IMAGE_TAG.match(value):
        raise ValidationError(
            {"image_tag": "An image tag is letters, digits, dots, dashes and underscores (at most 128)."}
        )
    return value


def clean_airflow_version(value, *, current: str | None = None) -> str:
    """A supported version; with `current`, never an older major or minor (its schema cannot be migrated down)."""
    value = clean_choice(value, catalog.AIRFLOW_VERSIONS, field="airflow_version", what="Airflow version")
    if current and catalog.minor_version(value) < catalog.minor_version(current):
        raise ValidationError(
            {
                "airflow_version": f"Airflow cannot go back from {current} to {value}: its metadata database cannot "
                "be migrated down. Create a new Deployment instead."
            }
        )
    return value


def image_tag_warning(tag: str, *, airflow_version: str) -> str | None:
    """Why a pinned tag looks wrong for the version (2.10.5 or `latest` on 3.1.3), or None. Only a warning: a
    custom image may name its tag as it likes, but what Aerodrome renders follows `airflow_version`."""
    if re.search(rf"(?<![0-9.]){re.escape(airflow_version)}(?![0-9]|\.[0-9])", tag):
        return None
    return (
        f"The image tag “{tag}” does not look like Airflow {airflow_version}. Aerodrome configures this Deployment "
        f"for Airflow {airflow_version}: make sure the image runs it."
    )


def clean_deployment_name(value) -> str:
    return clean_name(value, max_length=catalog.NAME_MAX_LENGTH)


# One cleaner per resource field the resources form and the API can change, with its label.
RESOURCE_FIELDS = {
    "executor": lambda v: clean_choice(v, catalog.Executor.choices, field="executor", what="executor"),
    "scheduler_size": lambda v: clean_choice(
        v, catalog.SCHEDULER_SIZE_CHOICES, field="scheduler_size", what="scheduler size"
    ),
    "scheduler_replicas": lambda v: clean_int(
        v, catalog.SCHEDULER_REPLICAS, field="scheduler_replicas", what="scheduler replicas"
    ),
    "triggerer_replicas": lambda v: clean_int(
        v, catalog.TRIGGERER_REPLICAS, field="triggerer_replicas", what="triggerer replicas"
    ),
    "api_server_replicas": lambda v: clean_int(
        v, catalog.API_SERVER_REPLICAS, field="api_server_replicas", what="API server replicas"
    ),
    "task_pod_cpu": lambda v: clean_decimal(v, catalog.TASK_POD_CPU, field="task_pod_cpu", what="task pod CPU"),
    "task_pod_memory_mib": lambda v: clean_int(
        v, catalog.TASK_POD_MEMORY_MIB, field="task_pod_memory_mib", what="task pod memory (MiB)"
    ),
    "max_task_pods": lambda v: clean_int(v, catalog.MAX_TASK_PODS, field="max_task_pods", what="maximum task pods"),
    "headroom_percent": lambda v: clean_int(
        v, catalog.HEADROOM_PERCENT, field="headroom_percent", what="extra quota headroom (%)"
    ),
}


def clean_queue_name(value) -> str:
    value = (value or "").strip(" ")
    if not QUEUE_NAME.fullmatch(value):
        raise ValidationError(
            {
                "name": "A queue name is 1-63 lowercase letters, digits and hyphens, "
                "starting and ending with a letter or digit."
            }
        )
    return value


def clean_queue(*, worker_type, min_workers, max_workers, concurrency) -> dict:
    errors = ErrorCollector()
    worker_type = errors.check(
        clean_choice, worker_type, catalog.WORKER_TYPE_CHOICES, field="worker_type", what="worker type"
    )
    if concurrency in (None, "") and worker_type:
        concurrency = catalog.WORKER_TYPES[worker_type].default_concurrency
    cleaned = {
        "worker_type": worker_type,
        "min_workers": errors.check(
            clean_int, min_workers, catalog.MIN_WORKERS, field="min_workers", what="minimum workers"
        ),
        "max_workers": errors.check(
            clean_int, max_workers, catalog.MAX_WORKERS, field="max_workers", what="maximum workers"
        ),
    }
    if concurrency not in (None, ""):
        cleaned["concurrency"] = errors.check(
            clean_int, concurrency, catalog.CONCURRENCY, field="concurrency", what="concurrency"
        )
    if not errors and cleaned["min_workers"] > cleaned["max_workers"]:
        errors.add("min_workers", "Minimum workers cannot be more than maximum workers.")
    errors.raise_if_any()
    return cleaned


# What a Deployment's scaling is made of beyond its executor and scheduler size (settable at creation too).
SCALING_FIELDS = (
    "scheduler_replicas",
    "triggerer_replicas",
    "api_server_replicas",
    "task_pod_cpu",
    "task_pod_memory_mib",
    "max_task_pods",
    "headroom_percent",
)
QUEUE_SPEC_DEFAULTS = {
    "worker_type": catalog.DEFAULT_WORKER_TYPE,
    "min_workers": 1,
    "max_workers": 10,
    "concurrency": None,
}


def clean_scaling(errors: ErrorCollector, scaling: dict) -> dict:
    """The given scaling fields of a new Deployment, cleaned (errors kept in `errors`)."""
    for field in set(scaling) - set(SCALING_FIELDS):
        errors.add(field, "This field cannot be set here.")
    return {field: errors.check(RESOURCE_FIELDS[field], scaling[field]) for field in SCALING_FIELDS if field in scaling}


def clean_queue_specs(errors: ErrorCollector, queues: list[dict] | None, *, executor: str) -> list[dict]:
    """The worker queues a new Deployment starts with: those given, each cleaned as `queue_create` would (errors
    under `queues[<index>].<field>`), plus `default` with its defaults unless given; none for Kubernetes pods."""
    if executor != catalog.Executor.CELERY:
        if queues:
            errors.add("queues", "Worker queues belong to the Celery executor; leave them out for Kubernetes pods.")
        return []
    cleaned, names = [], set()
    for index, spec in enumerate(queues or ()):
        with errors.within(f"queues[{index}]"):
            name = errors.check(clean_queue_name, spec.get("name"))
            if name and name in names:
                errors.add("name", f"There is already a queue named “{name}”.")
            names.add(name)
            settings = errors.check(
                clean_queue, **{key: spec.get(key, value) for key, value in QUEUE_SPEC_DEFAULTS.items()}
            )
            cleaned.append({"name": name, **(settings or {})})
    if catalog.DEFAULT_QUEUE not in names:
        cleaned.insert(0, {"name": catalog.DEFAULT_QUEUE, **clean_queue(**QUEUE_SPEC_DEFAULTS)})
    return cleaned


def clean_variable_specs(errors: ErrorCollector, variables, *, reserved: frozenset[str]) -> list[dict]:
    """A new Deployment's environment variables, each cleaned as `variable_set` would (errors under
    `variables[<index>].<field>`); a key given twice is refused."""
    cleaned, keys = [], set()
    for index, spec in enumerate(variables or ()):
        with errors.within(f"variables[{index}]"):
            key = errors.check(clean_env_key, spec.get("key"), reserved=reserved)
            if key and key in keys:
                errors.add("key", f"{key} is given twice; give each variable once.")
            keys.add(key)
            value = errors.check(clean_env_value, spec.get("value"))
            if spec.get("value") is None:
                errors.add("value", "Enter a value.")
            cleaned.append({"key": key, "value": value, "is_secret": bool(spec.get("is_secret", False))})
    return cleaned


def clean_env_key(value, *, reserved: frozenset[str]) -> str:
    value = (value or "").strip()
    if not ENV_KEY.match(value) or len(value) > 255:
        raise ValidationError(
            {"key": "A variable name is letters, digits and underscores, not starting with a digit (at most 255)."}
        )
    if value.upper() in reserved or value.upper().startswith("AIRFLOW__CORE__"):
        raise ValidationError({"key": f"{value} is set by Aerodrome itself and cannot be overridden."})
    return value


def clean_env_value(value) -> str:
    value = "" if value is None else str(value)
    if len(value) > 32768:
        raise ValidationError({"value": "A value can be at most 32 KiB."})
    return value


def clean_namespace(value) -> str:
    """A namespace name (a DNS-1123 label), or blank."""
    value = (value or "").strip().lower()
    if value and not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", value):
        raise ValidationError(
            {"monitoring_namespace": "Enter a namespace name: lower-case letters, digits and hyphens, at most 63."}
        )
    return value


def clean_domain(value) -> str:
    value = (value or "").strip().lower().rstrip(".")
    if not DOMAIN.match(value):
        raise ValidationError({"ingress_base_domain": "Enter a DNS domain such as airflow.example.com."})
    return value


# Kubeconfig fields that make the Kubernetes client run a program or read a file on the machine that loads the
# kubeconfig (ours). A cluster's kubeconfig must carry its credentials inline instead.
KUBECONFIG_LOCAL_FIELDS = {
    "users": ("user", ("exec", "auth-provider", "tokenFile", "client-certificate", "client-key")),
    "clusters": ("cluster", ("certificate-authority",)),
}


def kubeconfig_local_references(config: dict) -> list[str]:
    """The fields of a parsed kubeconfig that name a command or a local file, e.g. ['exec'] (empty when none)."""
    found = []
    for section, (inner, fields) in KUBECONFIG_LOCAL_FIELDS.items():
        entries = config.get(section)
        for entry in entries if isinstance(entries, list) else []:
            body = entry.get(inner) if isinstance(entry, dict) else None
            if isinstance(body, dict):
                found += [field for field in fields if field in body and field not in found]
    return found


def kubeconfig_urls(config: dict) -> list[str]:
    """Every address a parsed kubeconfig makes the client connect to: each cluster's server and proxy."""
    urls = []
    entries = config.get("clusters")
    for entry in entries if isinstance(entries, list) else []:
        body = entry.get("cluster") if isinstance(entry, dict) else None
        if isinstance(body, dict):
            urls += [body[key] for key in ("server", "proxy-url") if isinstance(body.get(key), str)]
    return urls


def refuse_outbound_addresses(cleaned: dict) -> None:
    """An organisation's cluster names only addresses the outbound policy allows. Every call checks again; here a
    refusal is said next to its field (a name that does not resolve from here yet is let through)."""
    kubeconfig = yaml.safe_load(cleaned["kubeconfig"]) if cleaned.get("kubeconfig") else {}
    candidates = {
        "kubeconfig": [outbound.refusal(url) for url in kubeconfig_urls(kubeconfig)],
        "prometheus_url": [outbound.refusal(cleaned["prometheus_url"])] if cleaned.get("prometheus_url") else [],
        "database_admin_url": [metadata_db.refusal(url)] if (url := cleaned.get("database_admin_url")) else [],
    }
    errors = {field: [next(filter(None, reasons))] for field, reasons in candidates.items() if any(reasons)}
    if errors:
        raise ValidationError(errors)


def clean_url(value, *, field: str, schemes=("http", "https"), what: str = "URL", required: bool = False) -> str:
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationError({field: f"Enter a {what}."})
        return ""
    try:
        URLValidator(schemes=list(schemes))(value)
    except ValidationError:
        raise ValidationError({field: f"Enter a valid {what} ({' or '.join(schemes)})."}) from None
    return value
