"""Decimal money helpers: conversion and currency rounding."""

from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from fractions import Fraction

CALC_PRECISION = 28
_ROUNDING_PRECISION = 100


def calc_context():
    """Return a context manager for the engine's Decimal arithmetic (prec 28)."""
    return localcontext(
        Context(
            prec=CALC_PRECISION,
            rounding=ROUND_HALF_EVEN,
            traps=[InvalidOperation, DivisionByZero, Overflow],
        )
    )


def to_decimal(value):
    """Convert int, str, float or Decimal to a finite Decimal (floats via ``str``)."""
    if value is None or isinstance(value, bool):
        raise TypeError(f"cannot convert {value!r} to Decimal")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(str(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    else:
        raise TypeError(f"cannot convert {type(value).__name__} {value!r} to Decimal")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def fraction_to_decimal(value):
    """Convert an exact Fraction to Decimal with the engine precision."""
    with calc_context():
        return Decimal(value.numerator) / Decimal(value.denominator)


def round_money(amount, rounding=Decimal("0.01")):
    """Round half-up (away from zero) to a multiple of ``rounding``."""
    amount = to_decimal(amount)
    rounding = to_decimal(rounding)
    if rounding <= 0:
        raise ValueError(f"rounding must be positive, got {rounding}")
    exponent = Decimal(1).scaleb(rounding.as_tuple().exponent)
    with localcontext(Context(prec=_ROUNDING_PRECISION, traps=[InvalidOperation])):
        units = (amount / rounding).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        result = (units * rounding).quantize(exponent)
    if result.is_zero():
        result = result.copy_abs()
    return result


def digits_to_rounding(digits):
    """Return the rounding step for a number of decimal digits (2 -> 0.01)."""
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 0:
        raise ValueError(f"digits must be a non-negative integer, got {digits!r}")
    return Decimal(1).scaleb(-digits)


def is_multiple_of(value, step):
    """Return True if the exact ``value`` (Fraction or Decimal) is a multiple of ``step``."""
    return (Fraction(value) / Fraction(step)).denominator == 1
