"""Usage charge models: standard, graduated, volume and package."""

from dataclasses import dataclass
from decimal import Decimal

from .errors import PricingError
from .money import calc_context, to_decimal

CHARGE_MODELS = ("standard", "graduated", "volume", "package")
_ZERO = Decimal(0)


def _set(obj, name, value):
    object.__setattr__(obj, name, value)


def _coerce(obj, name, *, optional=False):
    value = getattr(obj, name)
    if value is None and optional:
        return None
    try:
        value = to_decimal(value)
    except (TypeError, ValueError) as exc:
        raise PricingError(f"{name}: {exc}") from None
    _set(obj, name, value)
    return value


@dataclass(frozen=True)
class Band:
    """A price band covering units up to ``up_to`` (None means no upper limit)."""

    up_to: Decimal | None
    unit_price: Decimal
    flat_fee: Decimal = _ZERO

    def __post_init__(self):
        up_to = _coerce(self, "up_to", optional=True)
        if up_to is not None and up_to <= 0:
            raise PricingError(f"band up_to must be positive, got {up_to}")
        if _coerce(self, "unit_price") < 0:
            raise PricingError(f"band unit price must not be negative, got {self.unit_price}")
        if _coerce(self, "flat_fee") < 0:
            raise PricingError(f"band flat fee must not be negative, got {self.flat_fee}")


@dataclass(frozen=True)
class UsagePrice:
    """How a metric is priced; ``unit_price`` is per package for the package model."""

    model: str = "standard"
    unit_price: Decimal = _ZERO
    bands: tuple[Band, ...] = ()
    package_size: Decimal = Decimal(1)
    included_units: Decimal = _ZERO

    def __post_init__(self):
        if self.model not in CHARGE_MODELS:
            raise PricingError(
                f"unknown charge model {self.model!r}; expected one of {', '.join(CHARGE_MODELS)}"
            )
        if _coerce(self, "unit_price") < 0:
            raise PricingError(f"unit price must not be negative, got {self.unit_price}")
        if _coerce(self, "included_units") < 0:
            raise PricingError(f"included units must not be negative, got {self.included_units}")
        if _coerce(self, "package_size") <= 0 and self.model == "package":
            raise PricingError(f"package size must be positive, got {self.package_size}")
        bands = tuple(self.bands)
        _set(self, "bands", bands)
        for band in bands:
            if not isinstance(band, Band):
                raise PricingError(f"bands must be Band instances, got {band!r}")
        if self.model in ("graduated", "volume"):
            self._check_bands(bands)

    def _check_bands(self, bands):
        if not bands:
            raise PricingError(f"{self.model} pricing needs at least one band")
        previous = None
        for index, band in enumerate(bands):
            if band.up_to is None:
                if index != len(bands) - 1:
                    raise PricingError("only the last band may have no upper limit (up_to=None)")
                continue
            if previous is not None and band.up_to <= previous:
                raise PricingError(
                    f"band limits must be strictly increasing: {band.up_to} after {previous}"
                )
            previous = band.up_to


@dataclass(frozen=True)
class BandApplied:
    """The part of a quantity priced in one band."""

    lower: Decimal
    upper: Decimal | None
    quantity: Decimal
    unit_price: Decimal
    flat_fee: Decimal
    amount: Decimal


@dataclass(frozen=True)
class UsageCharge:
    """Result of pricing a usage quantity; ``amount`` is exact (unrounded)."""

    quantity: Decimal
    included: Decimal
    billable: Decimal
    amount: Decimal
    bands: tuple[BandApplied, ...]


def package_count(billable, package_size):
    """Number of whole packages needed for ``billable`` units (rounded up)."""
    billable = to_decimal(billable)
    package_size = to_decimal(package_size)
    if package_size <= 0:
        raise PricingError(f"package size must be positive, got {package_size}")
    with calc_context():
        whole, rest = divmod(billable, package_size)
    return whole + (1 if rest else 0)


def _graduated(bands, billable):
    applied = []
    lower = _ZERO
    for index, band in enumerate(bands):
        last = index == len(bands) - 1
        # Units beyond the last finite band are billed at the last band's price.
        upper = None if last and (band.up_to is None or billable > band.up_to) else band.up_to
        quantity = billable - lower if upper is None else min(billable, upper) - lower
        if quantity > 0:
            amount = quantity * band.unit_price + band.flat_fee
            applied.append(
                BandApplied(lower, upper, quantity, band.unit_price, band.flat_fee, amount)
            )
        if upper is None or billable <= upper:
            break
        lower = upper
    return tuple(applied)


def _volume(bands, billable):
    lower = _ZERO
    for index, band in enumerate(bands):
        last = index == len(bands) - 1
        if band.up_to is None or billable <= band.up_to or last:
            upper = None if band.up_to is None or billable > band.up_to else band.up_to
            amount = billable * band.unit_price + band.flat_fee
            return (BandApplied(lower, upper, billable, band.unit_price, band.flat_fee, amount),)
        lower = band.up_to
    raise AssertionError("unreachable: bands validated non-empty")


def usage_charge(price, quantity):
    """Price ``quantity`` units with ``price`` (a UsagePrice)."""
    if not isinstance(price, UsagePrice):
        raise PricingError(f"price must be a UsagePrice, got {price!r}")
    try:
        quantity = to_decimal(quantity)
    except (TypeError, ValueError) as exc:
        raise PricingError(f"quantity: {exc}") from None
    if quantity < 0:
        raise PricingError(f"usage quantity must not be negative, got {quantity}")
    included = min(quantity, price.included_units)
    with calc_context():
        billable = quantity - included
        if billable == 0:
            return UsageCharge(quantity, included, billable, _ZERO, ())
        bands = ()
        if price.model == "standard":
            amount = billable * price.unit_price
        elif price.model == "package":
            amount = package_count(billable, price.package_size) * price.unit_price
        else:
            if price.model == "graduated":
                bands = _graduated(price.bands, billable)
            else:
                bands = _volume(price.bands, billable)
            amount = sum((band.amount for band in bands), _ZERO)
    return UsageCharge(quantity, included, billable, amount, bands)
