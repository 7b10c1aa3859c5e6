"""The resource quota a Deployment's namespace gets: the sum of what every component may use at its largest
scale, plus the user's extra headroom, plus the surge pods of a rollout. The resources form shows it live, and
render writes the ResourceQuota (and each workload's rolling-update strategy, from `max_surge`)."""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from functools import cached_property, lru_cache

from deployments import catalog, validation
from deployments.catalog import Size


def max_surge(replicas: int) -> int:
    """The pods a rolling update may start on top of `replicas` before old ones stop: a quarter, rounded up, as
    Kubernetes does by default. Render writes it as the workload's maxSurge (with no pod unavailable meanwhile)."""
    return -(-replicas // 4)


@dataclass(frozen=True)
class Line:
    component: str
    replicas: int
    each: Size
    rolls: bool = True  # a Deployment with surge pods; a StatefulSet or task pods have none

    @property
    def total(self) -> Size:
        return self.each.times(self.replicas)

    @property
    def surge_pods(self) -> int:
        return max_surge(self.replicas) if self.rolls else 0

    @property
    def surge(self) -> Size:
        return self.each.times(self.surge_pods)


@dataclass(frozen=True)
class Quota:
    lines: tuple[Line, ...]
    headroom_percent: int

    @cached_property
    def components(self) -> Size:
        return sum((line.total for line in self.lines), catalog.ZERO)

    @cached_property
    def surge(self) -> Size:
        """Every workload's surge pods together: a configuration change rolls all the Airflow pods at once."""
        return sum((line.surge for line in self.lines), catalog.ZERO)

    @cached_property
    def surge_pods(self) -> int:
        return sum(line.surge_pods for line in self.lines)

    @cached_property
    def cpu(self) -> Decimal:
        """Cores, rounded up to a tenth. The headroom is for what runs; the surge comes on top of it."""
        raw = self.components.cpu * (100 + self.headroom_percent) / 100 + self.surge.cpu
        return raw.quantize(Decimal("0.1"), rounding=ROUND_CEILING)

    @cached_property
    def memory_mib(self) -> int:
        raw = Decimal(self.components.memory_mib) * (100 + self.headroom_percent) / 100 + self.surge.memory_mib
        return int(raw.to_integral_value(rounding=ROUND_CEILING))

    @cached_property
    def pods(self) -> int:
        # Every replica, every surge pod of a rollout, and room for hook jobs.
        return sum(line.replicas for line in self.lines) + self.surge_pods + 5

    @property
    def cpu_quantity(self) -> str:
        return f"{int(self.cpu * 1000)}m"

    @property
    def memory_quantity(self) -> str:
        return f"{self.memory_mib}Mi"

    @property
    def ephemeral_storage_quantity(self) -> str:
        return f"{catalog.EPHEMERAL_STORAGE_GIB}Gi"


def compute(
    *,
    airflow_major: int,
    executor: str,
    scheduler_size: str,
    scheduler_replicas: int,
    triggerer_replicas: int,
    api_server_replicas: int,
    queues,  # iterable of objects with name, worker_type and max_workers
    task_pod_cpu: Decimal,
    task_pod_memory_mib: int,
    max_task_pods: int,
    headroom_percent: int,
) -> Quota:
    """The quota of these settings. A pure function of them, remembered for the last few thousand settings seen:
    a list of Deployments mostly repeats a few configurations, and each costs ~40 small objects to add up."""
    return _build(
        airflow_major,
        executor,
        scheduler_size,
        scheduler_replicas,
        triggerer_replicas,
        api_server_replicas,
        tuple((queue.name, queue.worker_type, queue.max_workers) for queue in queues),
        Decimal(task_pod_cpu),
        task_pod_memory_mib,
        max_task_pods,
        headroom_percent,
    )


@lru_cache(maxsize=4096)
def _build(
    airflow_major: int,
    executor: str,
    scheduler_size: str,
    scheduler_replicas: int,
    triggerer_replicas: int,
    api_server_replicas: int,
    queues: tuple[tuple[str, str, int], ...],  # (name, worker_type, max_workers) of each
    task_pod_cpu: Decimal,
    task_pod_memory_mib: int,
    max_task_pods: int,
    headroom_percent: int,
) -> Quota:
    lines = [
        Line("Scheduler", scheduler_replicas, catalog.SCHEDULER_SIZES[scheduler_size] + catalog.DAG_SYNC),
        Line("API server" if airflow_major >= 3 else "Webserver", api_server_replicas, catalog.API_SERVER),
        Line("Triggerer", triggerer_replicas, catalog.TRIGGERER + catalog.DAG_SYNC),
    ]
    if airflow_major >= 3:
        lines.append(Line("DAG processor", 1, catalog.DAG_PROCESSOR + catalog.DAG_SYNC))
    lines += [Line("StatsD exporter", 1, catalog.STATSD), Line("PgBouncer", 1, catalog.PGBOUNCER)]
    if executor == catalog.Executor.CELERY:
        lines += [Line("Redis", 1, catalog.REDIS, rolls=False), Line("Flower", 1, catalog.FLOWER)]
        for name, worker_type, max_workers in queues:
            worker = catalog.WORKER_TYPES[worker_type]
            lines.append(Line(f"Workers ({name})", max_workers, worker.size + catalog.DAG_SYNC))
    else:
        task_pod = catalog.Size(task_pod_cpu, task_pod_memory_mib)
        lines.append(Line("Task pods", max_task_pods, task_pod, rolls=False))
    return Quota(lines=tuple(line for line in lines if line.replicas), headroom_percent=headroom_percent)


# The settings `compute` reads besides the queues (every scaling field among them); a DeploymentSpec and a
# Deployment name them alike.
_SETTINGS = ("airflow_major", "executor", "scheduler_size", *validation.SCALING_FIELDS)


def for_spec(spec) -> Quota:
    return _of(spec, spec.queues)


def for_deployment(deployment) -> Quota:
    """The quota of a saved Deployment (its queues read from the database, or from a prefetch)."""
    return _of(deployment, deployment.queue_list)


def _of(source, queues, **overrides) -> Quota:
    return compute(queues=queues, **{**{name: getattr(source, name) for name in _SETTINGS}, **overrides})


@dataclass(frozen=True)
class Requested:
    """What a Deployment's pods request at their configured scale (requests equal limits, catalog.Size): every
    component at its replica count, each worker queue at its minimum (at least one worker, as render applies it).
    Autoscaled workers above the minimum and the Kubernetes executor's task pods are started on demand and add to
    it while they run; the quota (above) is the ceiling of all that, and these are its components at rest."""

    at_rest: Quota

    @property
    def lines(self) -> tuple[Line, ...]:
        return self.at_rest.lines

    @property
    def total(self) -> Size:
        return self.at_rest.components

    @property
    def cpu(self) -> Decimal:
        return self.total.cpu

    @property
    def memory_mib(self) -> int:
        return self.total.memory_mib

    @property
    def memory_gib(self) -> Decimal:
        return Decimal(self.total.memory_mib) / 1024


def requested(deployment) -> Requested:
    """The requests of a saved Deployment (or a DeploymentSpec) at rest: see Requested. Its queues are read from
    the database, or from a prefetch. Deployments configured alike share one computation (lists show hundreds):
    the quota's, with the queues in name order."""
    queues = deployment.queues if isinstance(deployment.queues, tuple) else deployment.queues.all()
    at_minimum = sorted(_AtMinimum(queue.name, queue.worker_type, max(queue.min_workers, 1)) for queue in queues)
    # Task pods are started per task, on demand: none at rest. Headroom is the quota's alone.
    at_rest = _of(
        deployment, at_minimum, task_pod_cpu=Decimal(0), task_pod_memory_mib=0, max_task_pods=0, headroom_percent=0
    )
    return Requested(at_rest)


@dataclass(frozen=True, order=True)
class _AtMinimum:
    """A queue as `compute` reads it, scaled to its minimum."""

    name: str
    worker_type: str
    max_workers: int
