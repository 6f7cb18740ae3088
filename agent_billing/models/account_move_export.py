# pylint: disable=consider-merging-classes-inherited
"""Customer invoices as documents: the usage breakdown of the invoice report (PDF and client
portal) and the export actions of the invoice list."""

import functools
import re
import subprocess

from markupsafe import Markup

from odoo import Command, _, models
from odoo.exceptions import UserError
from odoo.tools import float_is_zero, float_round
from odoo.tools.misc import formatLang

from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin


@functools.cache
def wkhtmltopdf_has_patched_qt():
    """Whether wkhtmltopdf is a build with patched Qt (wkhtmltopdf.org's packages).

    Without it (e.g. Debian's package), wkhtmltopdf ignores Odoo's page header and footer,
    draws web fonts as outlines (no text to search or copy) and takes one document per run.
    """
    try:
        version = subprocess.run(
            [_get_wkhtmltopdf_bin(), "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return True  # no wkhtmltopdf: no PDF, nothing to work around
    return "patched qt" in version.lower()


class AccountMove(models.Model):
    _inherit = "account.move"

    # --- Invoice document --------------------------------------------------------------------
    def _agent_document_values(self, chunk_size=0, first_chunk_size=0):
        """What the invoice report prints of the billing behind this invoice, as plain values.

        Only client-facing figures: the price source and the run's anomaly data stay internal.
        The report calls it on the invoice in the client's language. The agent rows (a section
        per agent type, its deployments, a subtotal) come in chunks of ``chunk_size`` rows
        (the first one of ``first_chunk_size``), each printed as a table with its own header
        (0: one chunk).
        """
        self.ensure_one()
        self.check_access("read")
        # the document names the billing records behind its lines (contract, deployments,
        # metrics, prepaid blocks): whoever may read the invoice reads them on it, billing
        # rights or not (an accountant printing it, the client in the portal)
        move = self.sudo()
        currency = move.currency_id
        lines = move.invoice_line_ids.filtered(
            lambda line: line.display_type == "product" and line.agent_kind
        ).sorted(lambda line: (line.sequence, line.id))
        agents = lines.filtered(lambda line: line.agent_kind == "agents")
        agent_rows = []
        for product in agents.product_id:  # in the order of the lines
            group = agents.filtered(lambda line, p=product: line.product_id == p)
            agent_rows.append({"kind": "section", "name": product.name})
            agent_rows += [
                {
                    "kind": "row",
                    "deployment": line.agent_deployment_id.name or "",
                    "agents": line.agent_count,
                    "days": line.agent_days,
                    "days_in_period": line.agent_days_in_period,
                    "rate": line.agent_rate,
                    "amount": line.price_subtotal,
                }
                for line in group
            ]
            if len(group) > 1:
                agent_rows.append(
                    {
                        "kind": "subtotal",
                        "amount": currency.round(sum(group.mapped("price_subtotal"))),
                    }
                )
        agent_chunks = []
        rows = agent_rows
        while rows:
            size = (first_chunk_size if not agent_chunks else 0) or chunk_size or len(rows)
            agent_chunks.append(rows[:size])
            rows = rows[size:]
        usage = [
            {
                "metric": line.agent_metric_id.name or line.product_id.name,
                "unit": line.agent_metric_id.unit_name or "",
                "quantity": line.agent_usage_quantity,
                "included": line.agent_included_units,
                "billed": max(line.agent_usage_quantity - line.agent_included_units, 0.0),
                "bands": line.agent_band_summary or "",
                "rate": line.agent_rate,
                "amount": line.price_subtotal,
            }
            for line in lines
            if line.agent_kind == "usage"
        ]
        prepaid = [
            {
                "block": line.agent_prepaid_block_id.name or "",
                "metric": line.agent_metric_id.name or line.product_id.name,
                "unit": line.agent_metric_id.unit_name or "",
                "covered": line.agent_usage_quantity,
                "remaining": line.agent_prepaid_remaining,
                "valid_until": line.agent_prepaid_block_id.date_expiry,
            }
            for line in lines
            if line.agent_kind == "prepaid"
        ]
        minimum = lines.filtered(lambda line: line.agent_kind == "minimum")
        minimum_info = False
        if minimum:
            true_up = currency.round(sum(minimum.mapped("price_subtotal")))
            charges = currency.round(sum((lines - minimum).mapped("price_subtotal")))
            minimum_info = {
                "charges": charges,
                "true_up": true_up,
                "minimum": currency.round(charges + true_up),
            }
        sections = [
            name
            for name, rows in (
                ("agents", agent_chunks),
                ("usage", usage),
                ("prepaid", prepaid),
                ("minimum", minimum_info),
            )
            if rows
        ]
        return {
            "contract": move.agent_contract_id.name or "",
            "first_section": sections[0] if sections else False,
            "show_breakdown": bool(lines) and move.company_id.agent_invoice_show_breakdown,
            "agent_chunks": agent_chunks,
            "usage": usage,
            "prepaid": prepaid,
            "minimum": minimum_info,
        }

    def _agent_is_billing_document(self):
        """Billing invoices get the billing blocks; any other invoice prints as in Odoo."""
        self.ensure_one()
        return bool(self.agent_contract_id) or any(self.invoice_line_ids.mapped("agent_kind"))

    def _agent_pdf_fallback(self):
        """Whether the PDF of this billing invoice carries the company header, footer and font
        itself: wkhtmltopdf without patched Qt drops the layout's header and footer and turns
        web fonts into outlines. The company font is then used if installed on the server
        (local font), else a system font, so that the text of the invoice stays text."""
        return not wkhtmltopdf_has_patched_qt()

    def _agent_pdf_font_css(self):
        """The fallback's fonts: the company's font as a local font (a web font would be drawn
        as outlines), then system fonts."""
        font = (self.company_id.font or "Lato").replace("_", " ")
        if not re.fullmatch(r"[A-Za-z ]+", font):
            font = "Lato"
        return Markup(
            "@font-face { font-family: 'o_agent_local'; src: local('%(font)s'), "
            "local('%(font)s Regular'); }\n"
            "@font-face { font-family: 'o_agent_local'; font-weight: bold; "
            "src: local('%(font)s Bold'); }\n"
            ".article, .article * { font-family: 'o_agent_local', 'Liberation Sans', "
            "'DejaVu Sans', Arial, sans-serif !important; }"
        ) % {"font": font}

    def _agent_fmt_quantity(self, value):
        """A quantity in the document's language, with only the decimals it has."""
        digits = self.env["decimal.precision"].precision_get("Agent Billing Quantity")
        return formatLang(self.env, value, digits=_needed_digits(value, 0, digits))

    def _agent_fmt_rate(self, value):
        """A unit rate with the currency symbol: at least the currency's decimals, more when
        the rate has them (0.0125 per task stays 0.0125)."""
        currency = self.currency_id
        digits = _needed_digits(
            value,
            currency.decimal_places,
            self.env["decimal.precision"].precision_get("Product Price"),
        )
        amount = formatLang(self.env, value, digits=digits)
        if currency.position == "before":
            return f"{currency.symbol}\N{NO-BREAK SPACE}{amount}"
        return f"{amount}\N{NO-BREAK SPACE}{currency.symbol}"

    # --- Exports from the invoice list -------------------------------------------------------
    def _agent_export_wizard(self, **vals):
        invoices = self.filtered(lambda move: move.move_type in ("out_invoice", "out_refund"))
        if not invoices:
            raise UserError(_("Select customer invoices or credit notes to export."))
        return self.env["agent.billing.export"].create(
            {
                "company_id": invoices.company_id[:1].id,
                "move_ids": [Command.set(invoices.ids)],
                **vals,
            }
        )

    def action_agent_export_xlsx(self):
        """The selected invoices and their lines with usage, as one XLSX workbook."""
        return self._agent_export_wizard(
            dataset="invoices", file_format="xlsx", with_lines=True
        ).action_export()

    def action_agent_batch_pdf(self):
        """Opens the export wizard on the selected invoices, to print them in one go."""
        wizard = self._agent_export_wizard(dataset="invoices", file_format="pdf")
        return {
            "type": "ir.actions.act_window",
            "name": _("Batch PDF"),
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }


def _needed_digits(value, minimum, maximum):
    """The fewest decimals (between ``minimum`` and ``maximum``) that show ``value`` exactly."""
    for digits in range(minimum, maximum):
        if float_is_zero(
            value - float_round(value, precision_digits=digits), precision_digits=maximum
        ):
            return digits
    return maximum
