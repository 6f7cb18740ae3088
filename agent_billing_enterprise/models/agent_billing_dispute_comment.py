from odoo import api, fields, models


class AgentBillingDisputeComment(models.Model):
    """A comment on a dispute: internal (staff only, a note in the chatter) or visible to the
    client (sent to the invoice contact). The first visible comment from us is the response
    that the response deadline asks for."""

    _name = "agent.billing.dispute.comment"
    _description = "Dispute comment"
    _order = "dispute_id, date, id"

    dispute_id = fields.Many2one(
        "agent.billing.dispute", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="dispute_id.company_id", store=True, index=True)
    author_id = fields.Many2one("res.users", default=lambda self: self.env.user, readonly=True)
    date = fields.Datetime(default=fields.Datetime.now, readonly=True)
    body = fields.Text("Comment", required=True)
    internal = fields.Boolean(
        default=True, help="Internal: staff only. Otherwise sent to the client."
    )
    message_id = fields.Many2one("mail.message", readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        comments = super().create(vals_list)
        for comment in comments:
            comment.message_id = comment.dispute_id._post_comment(comment)
        return comments
