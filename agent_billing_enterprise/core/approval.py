"""Approval arithmetic: who may decide next and when a request is decided (plain Python).

An approval request has approver steps, in order. In parallel mode every step can decide at
once; in sequential mode only the first undecided step can. A request is approved when
``required`` steps approved, and refused as soon as too few undecided steps remain to reach
``required`` approvals.
"""

MODES = ("sequential", "parallel")
DECIDED = ("approved", "refused")


def outcome(required, states):
    """'approved', 'refused' or 'pending' for step ``states`` (approved, refused, or undecided)."""
    if required < 1:
        raise ValueError("an approval needs at least one approver")
    approved = sum(1 for state in states if state == "approved")
    undecided = sum(1 for state in states if state not in DECIDED)
    if approved >= required:
        return "approved"
    if approved + undecided < required:
        return "refused"
    return "pending"


def open_steps(mode, states):
    """Indexes of the steps that may decide now."""
    if mode not in MODES:
        raise ValueError(f"unknown approval mode {mode!r}")
    undecided = [index for index, state in enumerate(states) if state not in DECIDED]
    if mode == "parallel":
        return undecided
    return undecided[:1]
