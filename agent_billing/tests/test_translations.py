"""What a client reads is in the client's language.

A French (German) client is billed by a billing run; its invoice document (PDF and portal HTML)
and its dunning mails must carry none of our English source strings. The strings are not a
hard-coded handful: they are the msgids of our .pot that belong to the invoice template and to
the dunning mail templates, and the translation they must show is taken from our .po files.
"""

import logging
import os
import re
from datetime import timedelta

import polib
from lxml import etree
from lxml import html as lxml_html

from odoo.modules.module import get_module_path
from odoo.tests import HttpCase

from .common import mail_new_test_user, tagged
from .test_invoice_report import REPORT, AgentBillingInvoiceCommon

_logger = logging.getLogger(__name__)

MODULE = "agent_billing"
# Odoo's own modules whose words share the documents (layout, invoice, mail, portal): loaded
# too, so that a word of ours cannot hide behind an identical English word of Odoo's
ODOO_MODULES = ["web", "mail", "portal", "account"]
INVOICE_TEMPLATE = f"{MODULE}.report_invoice_document_agent_billing"
# attribute values (the logo's alt text) are no visible text
NOT_VISIBLE = {"Logo"}
# the parts of our source strings that a reader does not see as written: sample content of
# t-out elements is replaced when rendering; {{ }} expressions and %(...)s placeholders too
PLACEHOLDER = re.compile(r"\{\{.*?\}\}|%\(\w+\)[sd]")
HAS_LETTER = re.compile(r"[^\W\d_]")
CONDITIONAL = ("t-if", "t-elif", "t-else")


def _collapse(text):
    return " ".join(text.split())


def _fragments(source, unconditional_only=False):
    """The pieces of readable text of a source string (markup, sample content and
    placeholders removed), each stripped of the spaces and punctuation around it.

    ``unconditional_only``: leave out the text inside t-if / t-elif / t-else elements (what a
    given rendering may not show)."""
    source = PLACEHOLDER.sub("\x00", source)
    if "<" in source:
        root = lxml_html.fragment_fromstring(source, create_parent="div")
        for node in root.xpath("//*[@t-out or @t-esc or @t-field]"):
            node.text = None
            for child in list(node):
                node.remove(child)
        if unconditional_only:
            cond = " or ".join(f"@{a}" for a in CONDITIONAL)
            for node in root.xpath(f"//*[{cond}][not(ancestor::*[{cond}])]"):
                tail = node.tail
                node.getparent().remove(node)  # drops the tail too: keep it apart
                if tail:
                    etree.SubElement(root, "span").text = tail
        pieces = list(root.itertext())
    else:
        pieces = [source]
    fragments = []
    for piece in pieces:
        for part in piece.split("\x00"):
            part = _collapse(part).strip(" .,:;()-/\u00a0")
            if HAS_LETTER.search(part):
                fragments.append(part)
    return fragments


def _found(fragment, text):
    """Whether ``fragment`` occurs in ``text`` as whole words (case-sensitive)."""
    return re.search(rf"(?<!\w){re.escape(fragment)}(?!\w)", text) is not None


class TranslationCommon(AgentBillingInvoiceCommon):
    """The billed scenario of the invoice report tests, every client speaking ``LANG``."""

    LANG = "fr_FR"
    # the test fixtures' own translatable names, as a client in LANG reads them
    FIXTURE_NAMES = {}

    @classmethod
    def _create_client(cls, name, ref):
        # the language is installed when the first client is made, before anything is billed,
        # so that whatever the billing run writes is written for a client speaking LANG
        if not cls._lang_loaded:
            cls.env["res.lang"]._activate_lang(cls.LANG)
            cls.env["ir.module.module"]._load_module_terms(ODOO_MODULES + [MODULE], [cls.LANG])
            cls.env.invalidate_all()
            cls._lang_loaded = True
        client = super()._create_client(name, ref)
        client.lang = cls.LANG
        return client

    @classmethod
    def setUpClass(cls):
        cls._lang_loaded = False  # each class runs in its own transaction: load it again
        super().setUpClass()
        for record, field, value in (
            (cls.agent_support.product_tmpl_id, "name", cls.FIXTURE_NAMES["support"]),
            (cls.agent_sales.product_tmpl_id, "name", cls.FIXTURE_NAMES["sales"]),
            (cls.metric_task, "name", cls.FIXTURE_NAMES["tasks"]),
            (cls.metric_task, "unit_name", cls.FIXTURE_NAMES["task"]),
        ):
            record.update_field_translations(field, {cls.LANG: value})
        # the company's texts print their headings (the texts themselves are the company's)
        cls.env.company.write(
            {
                "agent_invoice_payment_instructions": "<p>IBAN FR76 3000 6000 0112 3456 7890 189</p>",
                "agent_invoice_terms": "<p>CGV 2025</p>",
            }
        )
        cls.moves = cls.billing_run.move_ids
        # the dunning schedule of the test company (created after installation)
        cls.env["agent.billing.dunning.step"].action_load_default_schedule()

    # --- our strings and their translations ----------------------------------------------------
    @classmethod
    def _po(cls, kind):
        """Our .pot (``kind`` 'pot') or the .po of LANG, parsed."""
        folder = os.path.join(get_module_path(MODULE), "i18n")
        name = f"{MODULE}.pot" if kind == "pot" else f"{cls.LANG.split('_')[0]}.po"
        return polib.pofile(os.path.join(folder, name))

    def _entries(self, *xmlids):
        """(msgid, translation) of the .pot entries that occur in records ``xmlids`` (prefix
        match), the translation taken from the .po of LANG ('' if missing)."""
        translations = {entry.msgid: entry.msgstr for entry in self._po("po")}
        entries = []
        for entry in self._po("pot"):
            places = [place for place, _line in entry.occurrences]
            if any(
                place.split(",", 1)[-1].split(":", 1)[-1].startswith(xmlid)
                for place in places
                for xmlid in xmlids
            ):
                entries.append((entry.msgid, translations.get(entry.msgid, "")))
        self.assertTrue(entries, f"no msgid of {xmlids} in the .pot: regenerate it")
        return entries

    def _english_left(self, entries, text):
        """Our English fragments found in ``text``, but for those that the translation keeps
        (the same word in LANG: "Agents" or "agent(s)" in French)."""
        left = []
        for msgid, translation in entries:
            kept = " \x00 ".join(_fragments(translation)) if translation else ""
            left += [
                fragment
                for fragment in _fragments(msgid)
                if _found(fragment, text) and not _found(fragment, kept)
            ]
        return left

    # --- the documents -------------------------------------------------------------------------
    def _document_text(self):
        """The visible text of the invoices of the run, rendered as the portal shows them,
        without the invoice lines' descriptions and band summaries: the billing run writes
        those (see test_line_descriptions_in_client_language)."""
        html = self.env["ir.actions.report"]._render_qweb_html(REPORT, self.moves.ids)[0]
        self._keep(f"invoices_{self.LANG}.html", html)
        return self._visible_text(html.decode())

    def _visible_text(self, html):
        root = lxml_html.fromstring(html)
        for node in root.xpath(
            "//style | //script | //head | //td[@name='account_invoice_line_name']"
        ):
            node.getparent().remove(node)
        text = _collapse(root.text_content())
        for summary in set(self.moves.invoice_line_ids.mapped("agent_band_summary")):
            if summary:
                text = text.replace(_collapse(summary), " ")
        return text

    def _dunning_messages(self, move):
        """The five reminders of ``move``, each sent by the daily action on its step's day."""
        steps = self.env["agent.billing.dunning.step"].search(
            [("company_id", "=", move.company_id.id)], order="days"
        )
        self.assertEqual(len(steps), 5)
        for step in steps:
            self.env["account.move"].sudo()._cron_send_dunning(
                today=move.invoice_date_due + timedelta(days=step.days)
            )
        logs = self.env["agent.billing.dunning.log"].search(
            [("move_id", "=", move.id), ("state", "=", "sent")], order="id"
        )
        self.assertEqual(logs.step_id, steps, "one reminder per step")
        return logs

    # --- tests ---------------------------------------------------------------------------------
    def _check_invoice_document(self):
        self.assertEqual(set(self.moves.partner_id.mapped("lang")), {self.LANG})
        text = self._document_text()
        entries = self._entries(INVOICE_TEMPLATE)
        # the .pot is current: every translatable term of the installed template is in it
        view = self.env.ref(INVOICE_TEMPLATE).with_context(lang="en_US")
        terms = {
            term
            for term in view._fields["arch_db"].get_trans_terms(view.arch_db)
            if HAS_LETTER.search(term)
        }  # the export leaves out "(", "/" and the like
        self.assertEqual(
            terms - {msgid for msgid, _tr in entries},
            set(),
            "terms of the invoice template missing from the .pot: regenerate it",
        )
        self.assertEqual(
            self._english_left(entries, text),
            [],
            f"English strings of our invoice template on a {self.LANG} invoice",
        )
        # and the template's strings are there, translated: not an empty or foreign page
        missing = [
            translation
            for msgid, translation in entries
            if _fragments(msgid)[0] not in NOT_VISIBLE
            and not all(_found(f, text) for f in _fragments(translation))
        ]
        self.assertEqual(missing, [], "translated headings missing from the invoices")
        # the breakdown names the client's agent types and metrics in its language
        for key in ("support", "sales", "tasks"):
            self.assertIn(self.FIXTURE_NAMES[key], text)
        for move in self.moves:
            self.assertIn(move.name, text)

    def _check_dunning_mails(self):
        move = self.inv["MID"]
        entries = self._entries(f"{MODULE}.mail_template_dunning_")
        translations = dict(entries)
        for log in self._dunning_messages(move):
            message = log.mail_message_id
            template = log.step_id.mail_template_id
            body = _collapse(lxml_html.fromstring(f"<div>{message.body}</div>").text_content())
            subject = message.subject
            self.assertEqual(
                self._english_left(entries, f"{subject} {body}"),
                [],
                f"English in the reminder {template.name} to a {self.LANG} client",
            )
            # the subject and every sentence of the body are the translation's
            source = template.with_context(lang="en_US")
            for msgid in (source.subject, str(source.body_html)):
                self.assertTrue(
                    translations.get(msgid),
                    f"{template.name}: no {self.LANG} "
                    "translation of its current text: regenerate the .pot and .po",
                )
            subject_tr = translations[source.subject]
            self.assertRegex(
                subject,
                "^" + ".*?".join(re.escape(part) for part in PLACEHOLDER.split(subject_tr)) + "$",
            )
            body_tr = translations[str(source.body_html)]
            fragments = _fragments(body_tr, unconditional_only=True)
            self.assertGreaterEqual(len(fragments), 5)
            self.assertEqual(
                [f for f in fragments if not _found(f, body)],
                [],
                f"sentences of the {self.LANG} reminder {template.name} missing",
            )
            self.assertIn(move.name, subject)

    def _line_descriptions(self):
        """The invoice line descriptions written by the run, band summaries included, and our
        source strings that build them."""
        lines = self.moves.invoice_line_ids.filtered("agent_kind")
        text = "\n".join(
            lines.mapped("name") + [s for s in lines.mapped("agent_band_summary") if s]
        )
        return lines, text, self._entries("addons/agent_billing/models/agent_billing_run_detail.py")

    def _check_line_descriptions_scenario(self):
        # what the known-bug test looks at exists (its own failures are taken as the bug)
        lines, text, entries = self._line_descriptions()
        self.assertEqual(set(lines.mapped("agent_kind")), {"agents", "usage", "minimum", "prepaid"})
        self.assertTrue(text.strip())
        self.assertGreater(len(entries), 5)

    def _check_line_descriptions(self):
        _lines, text, entries = self._line_descriptions()
        self.assertEqual(
            self._english_left(entries, text),
            [],
            f"English in the invoice line descriptions of a {self.LANG} client",
        )


@tagged("post_install", "-at_install")
class TestTranslationsFrench(TranslationCommon):
    LANG = "fr_FR"
    FIXTURE_NAMES = {
        "support": "Agent de support",
        "sales": "Agent commercial",
        "tasks": "Tâches de test",
        "task": "tâche",
    }

    def test_invoice_document_in_french(self):
        self._check_invoice_document()

    def test_dunning_mails_in_french(self):
        self._check_dunning_mails()

    def test_line_descriptions_scenario(self):
        self._check_line_descriptions_scenario()

    def test_line_descriptions_in_client_language(self):
        self._check_line_descriptions()


@tagged("post_install", "-at_install")
class TestTranslationsGerman(TranslationCommon):
    LANG = "de_DE"
    FIXTURE_NAMES = {
        "support": "Support-Agent",
        "sales": "Vertriebsagent",
        "tasks": "Testaufgaben",
        "task": "Aufgabe",
    }

    def test_invoice_document_in_german(self):
        self._check_invoice_document()

    def test_dunning_mails_in_german(self):
        self._check_dunning_mails()

    def test_line_descriptions_scenario(self):
        self._check_line_descriptions_scenario()

    def test_line_descriptions_in_client_language(self):
        self._check_line_descriptions()


@tagged("post_install", "-at_install")
class TestTranslationsPortalFrench(TranslationCommon, HttpCase):
    """The client's portal user reads its invoice page and document in French."""

    LANG = "fr_FR"
    FIXTURE_NAMES = TestTranslationsFrench.FIXTURE_NAMES

    def test_portal_invoice_in_french(self):
        move = self.inv["MID"]
        user = mail_new_test_user(
            self.env,
            login="mid_portal_fr",
            name="Marie Dupont",
            groups="base.group_portal",
            email="marie@example.com",
            lang=self.LANG,
        )
        user.partner_id.parent_id = move.partner_id
        self.authenticate("mid_portal_fr", "mid_portal_fr")
        page = self.url_open(f"/my/invoices/{move.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(move.name, page.text)
        self.assertIn("Télécharger", page.content.decode(), "Odoo's portal page is in French")
        response = self.url_open(f"/my/invoices/{move.id}?report_type=html")
        self.assertEqual(response.status_code, 200)
        text = self._visible_text(response.content.decode())  # no charset in its headers
        entries = self._entries(INVOICE_TEMPLATE)
        self.assertEqual(
            self._english_left(entries, text),
            [],
            "English strings of our invoice template in the portal document",
        )
        translations = dict(entries)
        for msgid in ("<strong>Amount Due</strong>", "Usage Breakdown", "Agent Type / Deployment"):
            for fragment in _fragments(translations[msgid]):
                self.assertTrue(_found(fragment, text), f"{fragment!r} not in the portal document")
        self.assertIn(self.FIXTURE_NAMES["support"], text)
