from odoo import fields, models
from odoo.tools import SQL


class AgentBillingProfitability(models.Model):
    """Profitability analysis: one row per client, company and service month.

    * Revenue: untaxed amount of posted customer invoices less credit notes, spread over the
      months of the billing period each one bills, in proportion to the part of each month the
      period covers (an invoice without a period counts in its invoice month).
    * Agent cost: agents deployed (active or ended deployments, up to today) x the agent type's
      monthly cost per agent, prorated by the days deployed in the month.
    * Usage cost: usage quantity x the metric's cost per unit.
    * Hours: usage quantity x the metric's hours per unit.

    Amounts in company currency. Margin % and hourly rate are ratios of sums: the pivot shows
    the sums, the client breakdown and the dashboard show the ratios."""

    _name = "agent.billing.profitability"
    _description = "Agent billing profitability"
    _auto = False
    _order = "date desc, partner_id"
    _rec_name = "partner_id"

    date = fields.Date("Month", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", "Company Currency", readonly=True)
    partner_id = fields.Many2one("res.partner", "Client", readonly=True)
    revenue = fields.Monetary(readonly=True, currency_field="currency_id")
    agent_cost = fields.Monetary(readonly=True, currency_field="currency_id")
    usage_cost = fields.Monetary(readonly=True, currency_field="currency_id")
    cost = fields.Monetary("Total Cost", readonly=True, currency_field="currency_id")
    margin = fields.Monetary("Gross Margin", readonly=True, currency_field="currency_id")
    hours = fields.Float(readonly=True, digits=(16, 2))

    # what is flushed to the database before the view is read
    _depends = {
        "account.move": [
            "move_type",
            "state",
            "company_id",
            "commercial_partner_id",
            "amount_untaxed_signed",
            "invoice_date",
            "agent_period_start",
            "agent_period_end",
        ],
        "agent.billing.deployment": [
            "company_id",
            "partner_id",
            "product_id",
            "agent_count",
            "date_start",
            "date_end",
            "state",
        ],
        "product.product": ["product_tmpl_id"],
        "product.template": ["agent_monthly_cost"],
        "agent.billing.usage": ["company_id", "partner_id", "metric_id", "quantity", "date"],
        "agent.billing.metric": ["cost_per_unit", "hours_per_unit"],
        "res.company": ["currency_id"],
    }

    @property
    def _table_query(self):
        # the day the statuses and ages are computed for (a context key lets tests fix it)
        today = self.env.context.get("agent_billing_today") or fields.Date.context_today(self)
        return SQL(
            """WITH revenue AS (
                   SELECT move.company_id, move.commercial_partner_id AS partner_id,
                          month.start AS month,
                          move.amount_untaxed_signed * month.weight
                              / SUM(month.weight) OVER (PARTITION BY move.id) AS revenue
                     FROM account_move move
                     CROSS JOIN LATERAL (
                         SELECT series::date AS start,
                                (LEAST(COALESCE(move.agent_period_end, move.invoice_date),
                                       (series + interval '1 month - 1 day')::date)
                                 - GREATEST(COALESCE(move.agent_period_start,
                                                     move.invoice_date), series::date) + 1
                                )::numeric
                                / EXTRACT(DAY FROM series + interval '1 month - 1 day')
                                    AS weight
                           FROM generate_series(
                                date_trunc('month', COALESCE(move.agent_period_start,
                                                             move.invoice_date)),
                                date_trunc('month', GREATEST(
                                    COALESCE(move.agent_period_end, move.invoice_date),
                                    COALESCE(move.agent_period_start, move.invoice_date))),
                                interval '1 month') AS series
                     ) AS month
                    WHERE move.move_type IN ('out_invoice', 'out_refund')
                      AND move.state = 'posted'
               ), agent_cost AS (
                   SELECT dep.company_id, dep.partner_id, month.start AS month,
                          dep.agent_count * template.agent_monthly_cost * month.weight
                              AS agent_cost
                     FROM agent_billing_deployment dep
                     JOIN product_product product ON product.id = dep.product_id
                     JOIN product_template template ON template.id = product.product_tmpl_id
                     CROSS JOIN LATERAL (
                         SELECT series::date AS start,
                                (LEAST(COALESCE(dep.date_end, %(today)s), %(today)s,
                                       (series + interval '1 month - 1 day')::date)
                                 - GREATEST(dep.date_start, series::date) + 1)::numeric
                                / EXTRACT(DAY FROM series + interval '1 month - 1 day')
                                    AS weight
                           FROM generate_series(
                                date_trunc('month', dep.date_start),
                                date_trunc('month', LEAST(COALESCE(dep.date_end, %(today)s),
                                                          %(today)s)),
                                interval '1 month') AS series
                     ) AS month
                    WHERE dep.state IN ('active', 'ended')
                      AND dep.date_start <= %(today)s
                      AND template.agent_monthly_cost != 0
               ), usage AS (
                   SELECT usage.company_id, usage.partner_id,
                          date_trunc('month', usage.date)::date AS month,
                          SUM(usage.quantity * metric.cost_per_unit) AS usage_cost,
                          SUM(usage.quantity * metric.hours_per_unit) AS hours
                     FROM agent_billing_usage usage
                     JOIN agent_billing_metric metric ON metric.id = usage.metric_id
                    WHERE metric.cost_per_unit != 0 OR metric.hours_per_unit != 0
                    GROUP BY 1, 2, 3
               ), rows AS (
                   SELECT company_id, partner_id, month, revenue, 0 AS agent_cost,
                          0 AS usage_cost, 0 AS hours FROM revenue
                   UNION ALL
                   SELECT company_id, partner_id, month, 0, agent_cost, 0, 0 FROM agent_cost
                   UNION ALL
                   SELECT company_id, partner_id, month, 0, 0, usage_cost, hours FROM usage
               )
               SELECT (rows.partner_id::bigint * 100000
                       + EXTRACT(YEAR FROM rows.month)::bigint * 12
                       + EXTRACT(MONTH FROM rows.month)::bigint) * 1000
                      + rows.company_id AS id,
                      rows.month AS date,
                      rows.company_id AS company_id,
                      company.currency_id AS currency_id,
                      rows.partner_id AS partner_id,
                      SUM(rows.revenue) AS revenue,
                      SUM(rows.agent_cost) AS agent_cost,
                      SUM(rows.usage_cost) AS usage_cost,
                      SUM(rows.agent_cost + rows.usage_cost) AS cost,
                      SUM(rows.revenue - rows.agent_cost - rows.usage_cost) AS margin,
                      SUM(rows.hours) AS hours
                 FROM rows
                 JOIN res_company company ON company.id = rows.company_id
                GROUP BY rows.month, rows.company_id, company.currency_id, rows.partner_id""",
            today=today,
        )
