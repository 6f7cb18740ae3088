"""Dispute service levels: deadlines and where a dispute stands against them (plain Python)."""

from datetime import timedelta


def sla_deadlines(opened, response_hours, resolution_days):
    """(response deadline, resolution deadline) of a dispute opened at ``opened`` (datetime).
    A zero delay means no deadline (None)."""
    response = opened + timedelta(hours=response_hours) if response_hours else None
    resolution = opened + timedelta(days=resolution_days) if resolution_days else None
    return response, resolution


def sla_status(now, response_deadline, resolution_deadline, responded, resolved):
    """Where a dispute stands: 'on_time', 'response_overdue', 'resolution_overdue' while open;
    'met' or 'breached' (resolved after its deadline) once resolved.

    ``responded`` and ``resolved`` are the moments of the first answer to the client and of the
    resolution (None while pending).
    """
    if resolved is not None:
        late = resolution_deadline is not None and resolved > resolution_deadline
        return "breached" if late else "met"
    if resolution_deadline is not None and now > resolution_deadline:
        return "resolution_overdue"
    if responded is None and response_deadline is not None and now > response_deadline:
        return "response_overdue"
    return "on_time"
