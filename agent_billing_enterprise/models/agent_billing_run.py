from collections import defaultdict
from datetime import timedelta

from odoo import _, models


class AgentBillingRun(models.Model):
    _inherit = "agent.billing.run"

    # --- What to bill --------------------------------------------------------------------------
    def _contracts_to_bill(self):
        """Also the last period of contracts that expired or were renewed since."""
        result = super()._contracts_to_bill()
        done = {contract.id for contract, _plan in result}
        ended = self.env["agent.billing.contract"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("state", "in", ("expired", "renewed")),
                ("date_start", "<=", self.period_end + timedelta(days=366)),
                ("date_end", ">=", self.period_start - timedelta(days=366)),
                ("id", "not in", list(done)),
            ],
            order="id",
        )
        plans = ((c, c._billing_plan(self.period_start, self.period_end)) for c in ended)
        result += [(contract, plan) for contract, plan in plans if plan]
        return sorted(result, key=lambda item: item[0].id)

    def _rating_row(self, contract, plan, previous_total, existing, candidates):
        """An entity already billed in a consolidated invoice of the period is skipped, as a
        contract with its own invoice is."""
        partner = contract.partner_id
        if partner.parent_id or partner.agent_invoicing_mode == "consolidated":
            line = self.env["account.move.line"].search(
                [
                    ("agent_entity_contract_id", "=", contract.id),
                    ("display_type", "=", "line_section"),
                    ("move_id.agent_period_start", "=", plan[0]),
                    ("move_id.agent_period_end", "=", plan[1]),
                    ("move_id.move_type", "=", "out_invoice"),
                    ("move_id.state", "!=", "cancel"),
                    ("move_id.agent_period_released", "=", False),
                ],
                limit=1,
            )
            if line:
                existing = {**existing, (contract.id, plan[0], plan[1]): line.move_id}
        return super()._rating_row(contract, plan, previous_total, existing, candidates)

    def _agent_group_contracts(self, roots):
        """``{(run, organisation, period start, period end): contract ids}``: the contracts of
        these organisations' entities that this run bills (a consolidated invoice waits for
        all of them)."""
        self.ensure_one()
        partners = self.env["res.partner"].search(
            ["|", ("id", "in", [r.id for r in roots]), ("parent_id", "in", [r.id for r in roots])]
        )
        contracts = self.env["agent.billing.contract"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("partner_id", "in", partners.ids),
                ("state", "in", ("active", "closed", "expired", "renewed")),
                ("date_start", "<=", self.period_end + timedelta(days=366)),
            ]
        )
        expected = defaultdict(set)
        for contract in contracts:
            root = contract.partner_id._agent_consolidation_root()
            plan = contract._billing_plan(self.period_start, self.period_end)
            if root in roots and plan:
                expected[self, root, plan[0], plan[1]].add(contract.id)
        return expected

    # --- Background jobs (agent_billing_queue) -------------------------------------------------
    def _fan_out_step(self, step, ids, batch_size):
        """Consolidated organisations stay whole: the job holding an organisation's own
        contract rates and bills all its entities' contracts, the others skip them."""
        return super()._fan_out_step(step, self._agent_job_contracts(ids), batch_size)

    def _agent_job_contracts(self, ids):
        mine = set(ids)
        groups = defaultdict(list)
        anchors = {}
        for contract, plan in self._contracts_to_bill():
            root = contract.partner_id._agent_consolidation_root()
            if root:
                key = (root, plan[0], plan[1])
                groups[key].append(contract.id)
                if contract.partner_id == root:
                    anchors.setdefault(key, contract.id)
        for key, contract_ids in groups.items():
            owner = anchors.get(key, min(contract_ids))
            if owner in mine:
                mine.update(contract_ids)
            else:
                mine.difference_update(contract_ids)
        return sorted(mine)

    # --- Posting: invoices waiting for approval stay drafts ------------------------------------
    def action_post(self):
        result = super(AgentBillingRun, self.with_context(agent_skip_blocked=True)).action_post()
        for run in self:
            held = run.move_ids.filtered(lambda m: m.state == "draft")
            if held:
                run.state = "invoiced"
                run.message_post(
                    body=_(
                        "%(n)s invoice(s) wait for approval and stay drafts: %(moves)s. Post the run "
                        "again once they are approved.",
                        n=len(held),
                        moves=", ".join(held.mapped("display_name")),
                    )
                )
        return result

    def _cron_process(self, commit):
        return super(AgentBillingRun, self.with_context(agent_skip_blocked=True))._cron_process(
            commit
        )
