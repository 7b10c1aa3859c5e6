"""What a Deployment can be made of: supported Airflow versions, component sizes, worker types and the
resource figures the quota is computed from. Pure data and arithmetic; no models, no I/O."""

from dataclasses import dataclass
from decimal import Decimal

AIRFLOW_VERSIONS = ["3.1.3", "3.0.6", "2.11.0"]  # newest first; the first is the default
DEFAULT_AIRFLOW_VERSION = AIRFLOW_VERSIONS[0]
DEFAULT_IMAGE_REPOSITORY = "apache/airflow"


def airflow_major(version: str) -> int:
    return int(version.split(".", 1)[0])


def minor_version(version: str) -> tuple[int, int]:
    """(major, minor): what Airflow's metadata database schema follows."""
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def default_image_tag(version: str) -> str:
    return version


class Executor:
    CELERY = "CeleryExecutor"
    KUBERNETES = "KubernetesExecutor"
    choices = [(CELERY, "Celery executor"), (KUBERNETES, "Kubernetes executor")]


class TLSMode:
    """How a cluster's Deployments get the certificate of their Airflow UI (the cluster's TLS setting)."""

    NONE = "NONE"  # plain HTTP
    CLUSTER_ISSUER = "CLUSTER_ISSUER"  # cert-manager issues one per Deployment from the named ClusterIssuer
    CERTIFICATE = "CERTIFICATE"  # a wildcard certificate uploaded to Aerodrome, copied into each namespace
    choices = [
        (NONE, "None (plain HTTP)"),
        (CLUSTER_ISSUER, "cert-manager ClusterIssuer"),
        (CERTIFICATE, "Wildcard certificate"),
    ]


@dataclass(frozen=True)
class Size:
    """CPU in cores and memory in MiB; requests equal limits (Guaranteed QoS for control-plane pods)."""

    cpu: Decimal
    memory_mib: int

    def times(self, n: int) -> "Size":
        return Size(self.cpu * n, self.memory_mib * n)

    def __add__(self, other: "Size") -> "Size":
        return Size(self.cpu + other.cpu, self.memory_mib + other.memory_mib)


ZERO = Size(Decimal(0), 0)

SCHEDULER_SIZES = {
    "SMALL": Size(Decimal(1), 2048),
    "MEDIUM": Size(Decimal(2), 4096),
    "LARGE": Size(Decimal(4), 8192),
    "EXTRA_LARGE": Size(Decimal(8), 16384),
}
SCHEDULER_SIZE_CHOICES = [
    ("SMALL", "Small: 1 CPU, 2 GiB"),
    ("MEDIUM", "Medium: 2 CPU, 4 GiB"),
    ("LARGE", "Large: 4 CPU, 8 GiB"),
    ("EXTRA_LARGE", "Extra large: 8 CPU, 16 GiB"),
]


@dataclass(frozen=True)
class WorkerType:
    name: str
    size: Size
    default_concurrency: int
    max_concurrency_hint: int


WORKER_TYPES = {
    t.name: t
    for t in [
        WorkerType("A5", Size(Decimal(1), 2048), 5, 15),
        WorkerType("A10", Size(Decimal(2), 4096), 10, 30),
        WorkerType("A20", Size(Decimal(4), 8192), 20, 60),
        WorkerType("A40", Size(Decimal(8), 16384), 40, 120),
        WorkerType("A60", Size(Decimal(12), 24576), 60, 180),
    ]
}
WORKER_TYPE_CHOICES = [
    (t.name, f"{t.name}: {t.size.cpu} CPU, {t.size.memory_mib // 1024} GiB") for t in WORKER_TYPES.values()
]
DEFAULT_WORKER_TYPE = "A5"

# Fixed-size components (per replica).
API_SERVER = Size(Decimal("1"), 2048)
TRIGGERER = Size(Decimal("0.5"), 1024)
DAG_PROCESSOR = Size(Decimal("1"), 2048)
STATSD = Size(Decimal("0.1"), 256)
PGBOUNCER = Size(Decimal("0.25"), 256)
REDIS = Size(Decimal("0.5"), 1024)
FLOWER = Size(Decimal("0.25"), 512)
# The DAG sync sidecar beside every pod that reads DAGs (deployments/kube/dag_sync.py).
DAG_SYNC = Size(Decimal("0.05"), 64)

# Ranges users may choose from (inclusive).
NAME_MAX_LENGTH = 100
SCHEDULER_REPLICAS = (1, 4)
TRIGGERER_REPLICAS = (0, 2)
API_SERVER_REPLICAS = (1, 4)
MIN_WORKERS = (0, 30)
MAX_WORKERS = (1, 30)
CONCURRENCY = (1, 64)
TASK_POD_CPU = (Decimal("0.1"), Decimal(8))
TASK_POD_MEMORY_MIB = (128, 32768)
MAX_TASK_PODS = (1, 256)
HEADROOM_PERCENT = (0, 200)
DEFAULT_QUEUE = "default"
QUEUE_NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"

# Ephemeral storage the quota grants every namespace (Astronomer's default).
EPHEMERAL_STORAGE_GIB = 50
