"""The estimated monthly cost of a Deployment: what its pods request at rest (`quota.requested`) times the prices
platform staff set per CPU-hour and per GiB-hour of memory, over 730 hours (a year's 8,760 hours over 12 months).

Pure arithmetic. The prices are stored by the monitoring app (its admin), which this app cannot import: monitoring
registers where they come from (`register_price_source`) from its AppConfig.ready(). Without a source, or while no
price is set, there is no estimate and pages and the API show none.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from deployments import quota

HOURS_PER_MONTH = 730
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Prices:
    cpu_hour: Decimal  # per CPU core and hour
    gib_hour: Decimal  # per GiB of memory and hour
    currency: str  # ISO 4217, e.g. USD


@dataclass(frozen=True)
class Estimate:
    cpu: Decimal  # cores requested
    memory_gib: Decimal
    cpu_monthly: Decimal
    memory_monthly: Decimal
    currency: str

    @property
    def monthly(self) -> Decimal:
        return self.cpu_monthly + self.memory_monthly

    def as_dict(self) -> dict:
        """The API's `estimated_monthly_cost` object."""
        return {
            "amount": f"{self.monthly:f}",
            "currency": self.currency,
            "cpu_amount": f"{self.cpu_monthly:f}",
            "memory_amount": f"{self.memory_monthly:f}",
            "cpu_cores": f"{self.cpu.normalize():f}",
            "memory_gib": f"{self.memory_gib.quantize(CENT).normalize():f}",
            "hours_per_month": HOURS_PER_MONTH,
        }


_price_source: Callable[[], Prices | None] | None = None


def register_price_source(source: Callable[[], Prices | None]) -> None:
    global _price_source
    _price_source = source


def current_prices() -> Prices | None:
    """The prices in force, or None while none are set."""
    return _price_source() if _price_source is not None else None


def estimate(requested: quota.Requested, prices: Prices) -> Estimate:
    def monthly(amount: Decimal, price: Decimal) -> Decimal:
        return (amount * price * HOURS_PER_MONTH).quantize(CENT, rounding=ROUND_HALF_UP)

    return Estimate(
        cpu=requested.cpu,
        memory_gib=requested.memory_gib,
        cpu_monthly=monthly(requested.cpu, prices.cpu_hour),
        memory_monthly=monthly(requested.memory_gib, prices.gib_hour),
        currency=prices.currency,
    )


_UNSET = object()


def for_deployment(deployment, prices=_UNSET) -> Estimate | None:
    """The Deployment's estimate, or None while no price is set. Pass `prices` (current_prices()) once for a list."""
    prices = current_prices() if prices is _UNSET else prices
    if prices is None:
        return None
    return estimate(quota.requested(deployment), prices)
