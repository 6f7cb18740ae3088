from odoo import _, api, fields, models

APPROVAL_STATES = [
    ("none", "Not Required"),
    ("pending", "Waiting for Approval"),
    ("approved", "Approved"),
    ("refused", "Refused"),
]


class AgentBillingApprovalMixin(models.AbstractModel):
    """A record that may need approval: its requests (the approval history) and where it
    stands. Models react to a decision in ``_agent_approval_decided``."""

    _name = "agent.billing.approval.mixin"
    _description = "Record subject to approval"

    agent_approval_state = fields.Selection(
        APPROVAL_STATES,
        "Approval",
        default="none",
        required=True,
        copy=False,
        readonly=True,
        index=True,
        tracking=True,
    )
    agent_approval_request_ids = fields.One2many(
        "agent.billing.approval.request",
        "res_id",
        "Approval History",
        domain=lambda self: [("res_model", "=", self._name)],
        readonly=True,
        copy=False,
    )
    agent_approval_count = fields.Integer("Approvals", compute="_compute_agent_approval_count")

    @api.depends("agent_approval_request_ids")
    def _compute_agent_approval_count(self):
        for record in self:
            record.agent_approval_count = len(record._agent_approval_requests())

    def _agent_approval_requests(self):
        """Every request about this record (its own)."""
        self.ensure_one()
        return self.agent_approval_request_ids

    def _agent_sync_approval_state(self):
        """Where the record stands from its requests: pending while one is pending, refused when
        the last decided one was refused, approved when one was approved."""
        for record in self:
            requests = (
                record._agent_approval_requests()
                .filtered(lambda r: r.state != "cancelled")
                .sorted("id")
            )
            if not requests:
                state = "none"
            elif any(r.state == "pending" for r in requests):
                state = "pending"
            elif requests[-1].state == "refused":
                state = "refused"
            else:
                state = "approved"
            if record.agent_approval_state != state:
                record.agent_approval_state = state

    def _agent_request_approval(self, request_type, amount, reason, **kwargs):
        self.ensure_one()
        return self.env["agent.billing.approval.request"]._request(
            self, request_type, amount, reason, **kwargs
        )

    def _agent_approval_decided(self, request):
        """Hook: ``request`` about this record was approved or refused."""

    def action_agent_view_approvals(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Approvals"),
            "res_model": "agent.billing.approval.request",
            "view_mode": "list,form",
            "domain": [("id", "in", self._agent_approval_requests().ids)],
            "context": {"create": False},
        }
