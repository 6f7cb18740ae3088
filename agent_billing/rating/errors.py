"""Exceptions raised by the rating engine."""


class PricingError(ValueError):
    """Invalid pricing data or input that cannot be rated."""
