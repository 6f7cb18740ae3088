"""18.0.1.1.0: usage ingestion knows clients by a unique billing reference.

Integrations of the previous version sent the partner reference (``ref``), which is not unique.
Each client whose ``ref`` no other client of its company has gets it as billing reference, so
those integrations keep working; the ambiguous ones are logged and left for a person to decide.
Usage already recorded keeps its billing day (its stored date is not recomputed).
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.partner"]._agent_billing_ref_from_legacy()
