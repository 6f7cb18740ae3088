from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    # --- Agent billing ---
    agent_contract_id = fields.Many2one(
        "agent.billing.contract", "Agent Contract", copy=False, index="btree_not_null",
        check_company=True, readonly=True,
    )
    agent_period_start = fields.Date("Billing Period Start", copy=False, readonly=True)
    agent_period_end = fields.Date("Billing Period End", copy=False, readonly=True)
