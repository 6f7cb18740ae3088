"""18.0.1.1.0: the billing ledger, and clients known by a unique billing reference.

- Agent days are billed by the billing ledger from now on: every agent line records the days it
  covers. Lines of the previous version do not, so each contract's ledger starts the day after
  the last period its live invoices billed (``agent_ledger_start``): what was invoiced before is
  taken as it was, never re-rated, and the first run after the upgrade bills nothing twice.
- Integrations of the previous version sent the partner reference (``ref``), which is not
  unique. Each client whose ``ref`` no other client of its company has gets it as billing
  reference, so those integrations keep working; the ambiguous ones are logged and left for a
  person to decide. Usage already recorded keeps its billing day.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        UPDATE agent_billing_contract contract
           SET agent_ledger_start = billed.last_day + 1
          FROM (SELECT move.agent_contract_id AS contract_id,
                       MAX(move.agent_period_end) AS last_day
                  FROM account_move move
                 WHERE move.agent_contract_id IS NOT NULL
                   AND move.move_type = 'out_invoice' AND move.state != 'cancel'
                   AND move.agent_period_released IS NOT TRUE
              GROUP BY move.agent_contract_id) billed
         WHERE billed.contract_id = contract.id AND contract.agent_ledger_start IS NULL
    """)
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.partner"]._agent_billing_ref_from_legacy()
