"""Tests for usage charge models."""

from decimal import Decimal as D

import pytest
from agent_billing_rating import (
    CHARGE_MODELS,
    Band,
    BandApplied,
    PricingError,
    UsagePrice,
    package_count,
    usage_charge,
)

TIERS = (Band(1000, D("0.10")), Band(5000, D("0.08")), Band(None, D("0.05")))


def test_charge_models():
    assert CHARGE_MODELS == ("standard", "graduated", "volume", "package")


def test_standard():
    charge = usage_charge(UsagePrice(unit_price=D("0.02")), 1500)
    assert (charge.quantity, charge.included, charge.billable) == (1500, 0, 1500)
    assert charge.amount == D("30.00")
    assert charge.bands == ()


def test_standard_with_included_units():
    price = UsagePrice(unit_price=D("0.02"), included_units=500)
    charge = usage_charge(price, D("1500.5"))
    assert charge.included == 500
    assert charge.billable == D("1000.5")
    assert charge.amount == D("20.010")


def test_included_units_cover_everything():
    price = UsagePrice(model="graduated", bands=TIERS, included_units=1000)
    charge = usage_charge(price, 800)
    assert (charge.quantity, charge.included, charge.billable) == (800, 800, 0)
    assert charge.amount == 0
    assert charge.bands == ()


def test_zero_quantity():
    charge = usage_charge(UsagePrice(unit_price=5), 0)
    assert charge.amount == 0 and charge.billable == 0


def test_graduated_hand_computed():
    charge = usage_charge(UsagePrice(model="graduated", bands=TIERS), 6000)
    assert charge.amount == D(470)  # 1000*0.10 + 4000*0.08 + 1000*0.05
    assert charge.bands == (
        BandApplied(D(0), D(1000), D(1000), D("0.10"), D(0), D("100.00")),
        BandApplied(D(1000), D(5000), D(4000), D("0.08"), D(0), D("320.00")),
        BandApplied(D(5000), None, D(1000), D("0.05"), D(0), D("50.00")),
    )


@pytest.mark.parametrize(
    ("quantity", "amount", "bands_used"),
    [(500, "50", 1), (1000, "100", 1), (1001, "100.08", 2), (5000, "420", 2), (5001, "420.05", 3)],
)
def test_graduated_band_edges(quantity, amount, bands_used):
    charge = usage_charge(UsagePrice(model="graduated", bands=TIERS), quantity)
    assert charge.amount == D(amount)
    assert len(charge.bands) == bands_used
    assert sum(b.quantity for b in charge.bands) == quantity


def test_graduated_flat_fee_only_for_used_bands():
    bands = (Band(100, 0, flat_fee=10), Band(None, 1, flat_fee=25))
    price = UsagePrice(model="graduated", bands=bands)
    assert usage_charge(price, 50).amount == 10
    assert usage_charge(price, 100).amount == 10
    assert usage_charge(price, 101).amount == 10 + 25 + 1


def test_graduated_included_units_come_off_the_bottom():
    price = UsagePrice(model="graduated", bands=TIERS, included_units=1000)
    charge = usage_charge(price, 7000)
    assert charge.billable == 6000
    assert charge.amount == 470


def test_graduated_beyond_last_finite_band_uses_last_price():
    price = UsagePrice(model="graduated", bands=(Band(1000, "0.10"), Band(5000, "0.08")))
    charge = usage_charge(price, 6000)
    assert charge.amount == D(500)  # 100 + 5000*0.08
    assert charge.bands[-1].upper is None
    assert charge.bands[-1].quantity == 5000


@pytest.mark.parametrize(
    ("quantity", "amount", "unit"),
    [(800, "80", "0.10"), (1000, "100", "0.10"), (3000, "240", "0.08"), (6000, "300", "0.05")],
)
def test_volume_prices_all_units_at_one_band(quantity, amount, unit):
    charge = usage_charge(UsagePrice(model="volume", bands=TIERS), quantity)
    assert charge.amount == D(amount)
    assert len(charge.bands) == 1
    assert charge.bands[0].quantity == quantity
    assert charge.bands[0].unit_price == D(unit)


def test_volume_flat_fee_and_overflow_without_open_band():
    bands = (Band(1000, "0.10", flat_fee=5), Band(5000, "0.08", flat_fee=20))
    price = UsagePrice(model="volume", bands=bands)
    assert usage_charge(price, 10).amount == D("6.00")
    assert usage_charge(price, 2000).amount == D("180.00")
    overflow = usage_charge(price, 6000)
    assert overflow.amount == D("500.00")  # last band prices everything
    assert overflow.bands[0].lower == 1000 and overflow.bands[0].upper is None


def test_package_hand_computed():
    price = UsagePrice(model="package", unit_price=50, package_size=1000)
    assert usage_charge(price, 2500).amount == 150
    assert usage_charge(price, 2000).amount == 100
    assert usage_charge(price, 1).amount == 50
    assert usage_charge(price, D("0.001")).amount == 50


def test_package_with_included_units():
    price = UsagePrice(model="package", unit_price=50, package_size=1000, included_units=500)
    charge = usage_charge(price, 2500)
    assert charge.billable == 2000
    assert charge.amount == 100


def test_package_count():
    assert package_count(2500, 1000) == 3
    assert package_count(3000, 1000) == 3
    assert package_count(D("0.5"), D("0.25")) == 2
    assert package_count(0, 10) == 0
    with pytest.raises(PricingError, match="package size"):
        package_count(10, 0)


def test_fields_are_coerced_to_decimal():
    price = UsagePrice(model="package", unit_price=0.1, package_size="10", included_units=5)
    assert price.unit_price == D("0.1") and isinstance(price.package_size, D)
    band = Band(10.0, 0.3, 1)
    assert (band.up_to, band.unit_price, band.flat_fee) == (D("10.0"), D("0.3"), D(1))
    assert UsagePrice(model="graduated", bands=[Band(None, 1)]).bands == (Band(None, 1),)


def test_negative_quantity_rejected():
    with pytest.raises(PricingError, match="negative"):
        usage_charge(UsagePrice(unit_price=1), -1)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: UsagePrice(model="tiered"), "unknown charge model 'tiered'"),
        (lambda: UsagePrice(unit_price=-1), "unit price must not be negative"),
        (lambda: UsagePrice(included_units=-1), "included units must not be negative"),
        (lambda: UsagePrice(model="package", unit_price=1, package_size=0), "package size"),
        (lambda: UsagePrice(model="package", unit_price=1, package_size=-5), "package size"),
        (lambda: UsagePrice(model="graduated"), "graduated pricing needs at least one band"),
        (lambda: UsagePrice(model="volume"), "volume pricing needs at least one band"),
        (
            lambda: UsagePrice(model="graduated", bands=(Band(100, 1), Band(100, 1))),
            "strictly increasing",
        ),
        (
            lambda: UsagePrice(model="volume", bands=(Band(100, 1), Band(50, 1))),
            "strictly increasing",
        ),
        (
            lambda: UsagePrice(model="graduated", bands=(Band(None, 1), Band(100, 1))),
            "only the last band",
        ),
        (lambda: UsagePrice(model="graduated", bands=((100, 1),)), "Band instances"),
        (lambda: Band(100, -1), "band unit price must not be negative"),
        (lambda: Band(100, 1, flat_fee=-1), "band flat fee must not be negative"),
        (lambda: Band(0, 1), "up_to must be positive"),
        (lambda: Band(100, None), "unit_price"),
        (lambda: UsagePrice(unit_price="abc"), "unit_price"),
        (lambda: usage_charge(UsagePrice(), None), "quantity"),
        (lambda: usage_charge(None, 1), "UsagePrice"),
    ],
)
def test_validation_errors(build, message):
    with pytest.raises(PricingError, match=message):
        build()


def test_pricing_error_is_value_error():
    assert issubclass(PricingError, ValueError)
