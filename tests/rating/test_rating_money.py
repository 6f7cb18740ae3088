"""Tests for money helpers."""

from decimal import Decimal as D

import pytest
from agent_billing_rating import digits_to_rounding, round_money, to_decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, D(3)),
        ("12.50", D("12.50")),
        (" 7.1 ", D("7.1")),
        (D("0.333"), D("0.333")),
        (0.1, D("0.1")),
        (2.675, D("2.675")),
        (1e-7, D("1E-7")),
    ],
)
def test_to_decimal_accepts_numbers(value, expected):
    result = to_decimal(value)
    assert isinstance(result, D)
    assert result == expected
    assert str(result) == str(expected)


@pytest.mark.parametrize("value", [True, False, None, [1], object()])
def test_to_decimal_rejects_non_numbers(value):
    with pytest.raises(TypeError):
        to_decimal(value)


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity", float("inf"), D("NaN")])
def test_to_decimal_rejects_invalid_or_non_finite(value):
    with pytest.raises(ValueError):
        to_decimal(value)


@pytest.mark.parametrize(
    ("amount", "rounding", "expected"),
    [
        ("154.838709", "0.01", "154.84"),
        ("0.005", "0.01", "0.01"),
        ("0.0049999", "0.01", "0.00"),
        ("2.675", "0.01", "2.68"),
        ("-1.005", "0.01", "-1.01"),
        ("-0.001", "0.01", "0.00"),
        ("3", "0.01", "3.00"),
        ("154.84", "0.05", "154.85"),
        ("154.82", "0.05", "154.80"),
        ("0.025", "0.05", "0.05"),
        ("0.0249", "0.05", "0.00"),
        ("154.5", "1", "155"),
        ("154.49", "1", "154"),
        ("1234.5678", "0.001", "1234.568"),
        ("17", "0.10", "17.00"),
    ],
)
def test_round_money_half_up_to_step(amount, rounding, expected):
    result = round_money(D(amount), D(rounding))
    assert str(result) == expected


def test_round_money_default_rounding_and_float_input():
    assert str(round_money(D("10.125"))) == "10.13"
    assert round_money(2.675, 0.01) == D("2.68")


@pytest.mark.parametrize("rounding", [0, "-0.01"])
def test_round_money_rejects_non_positive_rounding(rounding):
    with pytest.raises(ValueError, match="rounding must be positive"):
        round_money(D(1), rounding)


@pytest.mark.parametrize(("digits", "expected"), [(0, "1"), (2, "0.01"), (4, "0.0001")])
def test_digits_to_rounding(digits, expected):
    assert str(digits_to_rounding(digits)) == expected


@pytest.mark.parametrize("digits", [-1, True, 2.0, "2"])
def test_digits_to_rounding_rejects_bad_digits(digits):
    with pytest.raises(ValueError, match="digits"):
        digits_to_rounding(digits)
