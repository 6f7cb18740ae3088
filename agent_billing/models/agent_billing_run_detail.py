from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date
from odoo.tools.misc import formatLang

LINE_KINDS = [
    ("agents", "Agents"),
    ("usage", "Usage"),
    ("minimum", "Minimum commitment"),
    ("prepaid", "Prepaid block"),
]
PRICE_SOURCES = [
    ("override", "Client override"),
    ("tier", "Contract tier"),
    ("catalog", "Catalog"),
    ("contract", "Contract"),
    ("prepaid", "Prepaid block"),
]


class AgentBillingRunDetail(models.Model):
    """One future invoice line of a pre-flight row, with the records it comes from."""

    _name = "agent.billing.run.detail"
    _description = "Billing run line detail"
    _order = "line_id, sequence, id"

    line_id = fields.Many2one(
        "agent.billing.run.line", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="line_id.company_id", store=True)
    currency_id = fields.Many2one(related="line_id.currency_id")
    sequence = fields.Integer()
    kind = fields.Selection(LINE_KINDS, required=True)
    product_id = fields.Many2one("product.product")
    name = fields.Text("Description", required=True)
    quantity = fields.Float(digits="Product Unit of Measure")
    price_unit = fields.Float("Unit Price", digits="Product Price")
    discount = fields.Float("Discount (%)", digits="Discount")
    amount = fields.Monetary()
    price_source = fields.Selection(PRICE_SOURCES, string="Price From")
    agent_count = fields.Integer("Agents")
    days = fields.Integer()
    days_in_period = fields.Integer()
    metric_id = fields.Many2one("agent.billing.metric")
    usage_quantity = fields.Float(digits="Agent Billing Quantity")
    rate = fields.Float(
        digits="Product Price",
        help="Monthly rate per agent, or tariff price per unit (per package).",
    )
    included_units = fields.Float(digits="Agent Billing Quantity")
    band_summary = fields.Char("Bands")
    deployment_id = fields.Many2one("agent.billing.deployment", index="btree_not_null")
    usage_ids = fields.Many2many("agent.billing.usage", string="Usage Records")
    prepaid_block_id = fields.Many2one("agent.billing.prepaid.block")
    prepaid_remaining = fields.Float("Prepaid Left", digits="Agent Billing Quantity")
    service_start = fields.Date("Service From")
    service_end = fields.Date("Service To")
    service_period = fields.Date("Billing Period")
    is_credit = fields.Boolean("Credit")
    credit_reason = fields.Char()
    usage_count = fields.Integer(compute="_compute_usage_count")

    @api.depends("usage_ids")
    def _compute_usage_count(self):
        for detail in self:
            detail.usage_count = len(detail.usage_ids)

    def _fmt(self, value, digits=2):
        return formatLang(self.env, float(value), digits=digits)

    def _from_rating(self, contract, rating):
        """Detail values for each line of a rating of ``contract`` (core ``Rating``), worded
        in the client's language, with its date and number formats: the client reads them."""
        lang = contract.partner_id.lang or self.env.lang
        return self.with_context(lang=lang)._from_rating_lines(
            contract.with_context(lang=lang), rating
        )

    def _from_rating_lines(self, contract, rating):
        currency = contract.currency_id
        vals_list = []
        for sequence, line in enumerate(rating.lines, start=1):
            data = line.description_data
            vals = {
                "sequence": sequence * 10,
                "kind": line.kind,
                "quantity": float(line.quantity),
                "price_unit": float(line.unit_price),
                "discount": float(line.discount_percent),
                "amount": float(line.amount),
                "price_source": line.price_source,
            }
            if line.kind == "agents":
                product, _override = line.key
                product = product.with_env(self.env)
                deployment = line.refs[0]
                vals.update(
                    {
                        "product_id": product.id,
                        "deployment_id": deployment.id,
                        "rate": float(data["monthly_rate"]),
                        "agent_count": data["agents"],
                        "days": data["days"],
                        "days_in_period": data["days_in_period"],
                        "name": _(
                            "%(type)s\n%(agents)s agent(s), %(start)s - %(end)s (%(days)s of %(total)s "
                            "days) at %(rate)s per agent per month",
                            type=product.name,
                            agents=data["agents"],
                            start=format_date(self.env, data["start"]),
                            end=format_date(self.env, data["end"]),
                            days=data["days"],
                            total=data["days_in_period"],
                            rate=formatLang(
                                self.env, float(data["monthly_rate"]), currency_obj=currency
                            ),
                        ),
                    }
                )
            elif line.kind == "usage":
                metric, _override = line.key
                metric = metric.with_env(self.env)
                charge = data["charge"]
                bands = (
                    "; ".join(
                        _(
                            "%(qty)s at %(price)s",
                            qty=self._fmt(band.quantity, 0),
                            price=self._fmt(band.unit_price, 4),
                        )
                        for band in charge.bands
                    )
                    if data["model"] in ("graduated", "volume")
                    else ""
                )
                unit = metric.unit_name or metric.name
                name = _(
                    "%(metric)s: %(qty)s %(unit)s",
                    metric=metric.name,
                    qty=self._fmt(data["quantity"], 0),
                    unit=unit,
                )
                if data["included"]:
                    name += _(
                        " (%(inc)s included, %(bill)s billed)",
                        inc=self._fmt(data["included"], 0),
                        bill=self._fmt(data["billable"], 0),
                    )
                if bands:
                    name += _(" - bands: %(bands)s", bands=bands)
                vals.update(
                    {
                        "product_id": metric.product_id.id or False,
                        "metric_id": metric.id,
                        "usage_quantity": float(data["quantity"]),
                        "rate": float(data["tariff_unit_price"])
                        if data["model"] in ("standard", "package")
                        else 0.0,
                        "included_units": float(data["included"]),
                        "band_summary": bands or False,
                        "usage_ids": [fields.Command.set([usage.id for usage in line.refs])],
                        "name": name,
                    }
                )
                if not metric.product_id:
                    raise UserError(
                        _(
                            "Metric %(metric)s has no invoice product: set one in Invoicing > "
                            "Configuration > Agent Billing > Usage Metrics.",
                            metric=metric.name,
                        )
                    )
            elif line.kind == "prepaid":
                (metric, _override), block = line.key
                metric = metric.with_env(self.env)
                unit = metric.unit_name or metric.name
                name = _(
                    "%(metric)s: %(qty)s %(unit)s covered by prepaid block %(block)s "
                    "(%(left)s %(unit)s left)",
                    metric=metric.name,
                    qty=self._fmt(data["covered"], 0),
                    unit=unit,
                    block=block.name,
                    left=self._fmt(data["remaining"], 0),
                )
                if data["expiry"]:
                    name += _(", valid until %(date)s", date=format_date(self.env, data["expiry"]))
                vals.update(
                    {
                        "product_id": metric.product_id.id or False,
                        "metric_id": metric.id,
                        "usage_quantity": float(data["covered"]),
                        "prepaid_block_id": block.id,
                        "prepaid_remaining": float(data["remaining"]),
                        "usage_ids": [fields.Command.set([usage.id for usage in line.refs])],
                        "name": name,
                    }
                )
            else:
                tier = contract.tier_id
                vals.update(
                    {
                        "product_id": tier.commitment_product_id.id or False,
                        "name": _(
                            "Minimum commitment true-up: %(minimum)s committed for the period, "
                            "%(charges)s charged",
                            minimum=formatLang(
                                self.env, float(data["minimum_for_period"]), currency_obj=currency
                            ),
                            charges=formatLang(
                                self.env, float(data["subtotal"]), currency_obj=currency
                            ),
                        ),
                    }
                )
            vals_list.append(vals)
        return vals_list

    def _prepare_invoice_line(self):
        self.ensure_one()
        return self._invoice_line_vals(
            {
                "name": self.name,
                "kind": self.kind,
                "product_id": self.product_id.id,
                "quantity": self.quantity,
                "price_unit": self.price_unit,
                "discount": self.discount,
                "deployment_id": self.deployment_id.id,
                "metric_id": self.metric_id.id,
                "agent_count": self.agent_count,
                "days": self.days,
                "days_in_period": self.days_in_period,
                "included_units": self.included_units,
                "usage_quantity": self.usage_quantity,
                "rate": self.rate,
                "band_summary": self.band_summary,
                "price_source": self.price_source,
                "prepaid_block_id": self.prepaid_block_id.id,
                "prepaid_remaining": self.prepaid_remaining,
                "service_start": self.service_start,
                "service_end": self.service_end,
                "service_period": self.service_period,
                "is_credit": self.is_credit,
                "credit_reason": self.credit_reason,
            }
        )

    def _invoice_line_vals(self, detail):
        """Invoice line values from detail values (a dict as made by ``_from_rating``)."""
        vals = {
            "name": detail["name"],
            "quantity": detail["quantity"],
            "price_unit": detail["price_unit"],
            "discount": detail.get("discount") or 0.0,
            "agent_kind": detail["kind"],
            "agent_deployment_id": detail.get("deployment_id") or False,
            "agent_metric_id": detail.get("metric_id") or False,
            "agent_count": detail.get("agent_count") or 0,
            "agent_days": detail.get("days") or 0,
            "agent_days_in_period": detail.get("days_in_period") or 0,
            "agent_included_units": detail.get("included_units") or 0.0,
            "agent_usage_quantity": detail.get("usage_quantity") or 0.0,
            "agent_rate": detail.get("rate") or 0.0,
            "agent_band_summary": detail.get("band_summary") or False,
            "agent_price_source": detail.get("price_source") or False,
            "agent_prepaid_block_id": detail.get("prepaid_block_id") or False,
            "agent_prepaid_remaining": detail.get("prepaid_remaining") or 0.0,
            "agent_service_start": detail.get("service_start") or False,
            "agent_service_end": detail.get("service_end") or False,
            "agent_service_period": detail.get("service_period") or False,
            "agent_is_credit": bool(detail.get("is_credit")),
            "agent_credit_reason": detail.get("credit_reason") or False,
        }
        if detail.get("product_id"):
            vals["product_id"] = detail["product_id"]
        return vals
