from datetime import date, datetime

from odoo.tests import tagged

from .common import MARCH, EnterpriseCommon


@tagged("post_install", "-at_install")
class TestConsolidation(EnterpriseCommon):
    """A group of companies: one consolidated invoice with a section per entity, or one
    invoice per entity with each entity's own billing settings."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.term_45 = cls.env.ref("account.account_payment_term_45days")
        cls.term_30 = cls.env.ref("account.account_payment_term_30days")
        cls.group = cls._entity(
            "Globex Holding", vat="BE0477472701", property_payment_term_id=cls.term_45.id
        )
        cls.group_ap = cls.env["res.partner"].create(
            {
                "name": "Globex Accounts Payable",
                "type": "invoice",
                "parent_id": cls.group.id,
                "email": "ap@globex.example.com",
            }
        )
        cls.paris = cls._entity(
            "Globex Paris",
            parent=cls.group,
            vat="FR23334175221",
            property_payment_term_id=cls.term_30.id,
        )
        cls.berlin = cls._entity("Globex Berlin", parent=cls.group)
        cls.k_group = cls._contract(cls.group, "per_agent")
        cls.k_paris = cls._contract(cls.paris, "usage", tier=cls.tier)
        cls.k_berlin = cls._contract(cls.berlin, "per_agent")
        # the holding: 1 support agent all March = 100.00
        cls._deploy(cls.group, cls.agent_support, 1, date(2025, 1, 1))
        # Paris: 6,000 tasks on the graduated tier = 470.00
        cls.u_paris = cls._usage(
            cls.paris, cls.metric_task, 2500, datetime(2025, 3, 2), "p1"
        ) | cls._usage(cls.paris, cls.metric_task, 3500, datetime(2025, 3, 20), "p2")
        # Berlin: 2 sales agents from March 16 = 2 x 300 x 16/31 = 309.68
        cls._deploy(cls.berlin, cls.agent_sales, 2, date(2025, 3, 16))

    def _charges(self, contract):
        """What the entity's contract rates for March on its own."""
        return float(contract._rate_period(MARCH["period_start"], MARCH["period_end"]).total)

    def test_consolidated_invoice_sections_sum_to_children(self):
        self.group.agent_invoicing_mode = "consolidated"
        expected = {
            entity: self._charges(contract)
            for entity, contract in (
                (self.group, self.k_group),
                (self.paris, self.k_paris),
                (self.berlin, self.k_berlin),
            )
        }
        self.assertEqual(expected, {self.group: 100.0, self.paris: 470.0, self.berlin: 309.68})
        run = self._billed_run()
        self.assertEqual(len(run.move_ids), 1, "one invoice for the whole group")
        move = run.move_ids
        self.assertTrue(move.agent_consolidated)
        self.assertEqual(move.agent_contract_id, self.k_group)
        self.assertEqual(move.partner_id, self.group_ap, "the parent's invoice contact")
        self.assertEqual(move.invoice_payment_term_id, self.term_45)
        sections = move.invoice_line_ids.filtered(lambda x: x.display_type == "line_section")
        self.assertEqual(sections.agent_entity_partner_id, self.group | self.paris | self.berlin)
        self.assertIn(
            "FR23334175221",
            sections.filtered(lambda s: s.agent_entity_partner_id == self.paris).name,
        )
        # each section's lines sum to that entity's own charges; the sections to the invoice
        lines = move.invoice_line_ids.filtered(lambda x: x.display_type == "product")
        for entity, charges in expected.items():
            section_lines = lines.filtered(lambda x, e=entity: x.agent_entity_partner_id == e)
            self.assertTrue(section_lines)
            self.assertAlmostEqual(sum(section_lines.mapped("price_subtotal")), charges, places=2)
        self.assertAlmostEqual(move.amount_untaxed, sum(expected.values()), places=2)
        # sections come before their lines, the holding first
        ordered = move.invoice_line_ids.sorted("sequence")
        self.assertEqual(ordered[0].display_type, "line_section")
        self.assertEqual(ordered[0].agent_entity_partner_id, self.group)
        # every row points at the invoice; the usage is billed by the Paris lines
        self.assertEqual(set(run.line_ids.mapped("state")), {"invoiced"})
        self.assertEqual(run.line_ids.move_id, move)
        self.assertEqual(self.u_paris.invoice_line_id.agent_entity_partner_id, self.paris)
        # an entity's budget sees its own section of the consolidated invoice
        budget = self.env["agent.billing.budget"].create(
            {"partner_id": self.berlin.id, "date_from": date(2025, 3, 1), "amount": 1000.0}
        )
        self.assertEqual((budget.committed, budget.spent), (309.68, 0.0))
        run.action_post()
        self.assertEqual(move.state, "posted")
        budget.invalidate_recordset()
        self.assertEqual((budget.committed, budget.spent), (0.0, 309.68))

    def test_rerun_does_not_bill_entities_twice(self):
        self.group.agent_invoicing_mode = "consolidated"
        run = self._billed_run()
        move = run.move_ids
        run.action_post()
        # a second run over the same period for the entities (e.g. the first one was for another
        # purpose): every contract is already billed by the consolidated invoice
        for contract in (self.k_group, self.k_paris, self.k_berlin):
            plan = contract._billing_plan(MARCH["period_start"], MARCH["period_end"])
            vals = run._rating_row(contract, plan, None, {}, {})
            self.assertEqual(vals["state"], "skipped", contract.partner_id.name)
            self.assertIn(move.name, vals["message"])
        # creating the invoices again changes nothing
        run.state = "invoiced"
        run.action_create_invoices()
        self.assertEqual(run.move_ids, move)

    def test_per_entity_invoices_use_each_entity_settings(self):
        self.assertEqual(self.group.agent_invoicing_mode, "per_entity")
        run = self._billed_run()
        self.assertEqual(len(run.move_ids), 3)
        by_partner = {m.commercial_partner_id: m for m in run.move_ids}
        self.assertEqual(by_partner[self.paris].invoice_payment_term_id, self.term_30)
        self.assertEqual(by_partner[self.group].invoice_payment_term_id, self.term_45)
        self.assertEqual(by_partner[self.paris].amount_untaxed, 470.0)
        self.assertFalse(any(run.move_ids.mapped("agent_consolidated")))

    def test_entity_billing_currency(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.berlin.agent_billing_currency_id = eur
        # a draft: Berlin's live contract already bills its agents
        contract = self._contract(self.berlin, "per_agent", state="draft")
        self.assertEqual(contract.currency_id, eur)

    def test_consolidation_needs_the_parent_contract(self):
        self.group.agent_invoicing_mode = "consolidated"
        self.k_group.action_cancel()
        run = self._billed_run()
        self.assertFalse(run.move_ids)
        rows = run.line_ids
        self.assertEqual(set(rows.mapped("state")), {"error"})
        self.assertIn("has no contract billed", rows[0].message)

    def test_consolidation_waits_for_an_entity_in_error(self):
        self.group.agent_invoicing_mode = "consolidated"
        self.metric_task.product_id = False  # Paris cannot be rated: no invoice product
        run = self._billed_run()
        self.assertFalse(run.move_ids, "all or nothing")
        paris = run.line_ids.filtered(lambda r: r.partner_id == self.paris)
        self.assertEqual(paris.state, "error")
        waiting = run.line_ids - paris
        self.assertTrue(all("Globex Paris" in row.message for row in waiting))
        self.assertEqual(set(waiting.mapped("state")), {"rated"})

    def test_one_level_of_consolidation(self):
        self.group.agent_invoicing_mode = "consolidated"
        with self.assertRaisesRegex(Exception, "consolidation has one level"):
            self.paris.agent_invoicing_mode = "consolidated"

    def test_group_waits_for_its_entities_and_stays_in_one_job(self):
        self.group.agent_invoicing_mode = "consolidated"
        solo = self._contract(self._entity("Solo Ltd"), "per_agent")
        self._deploy(solo.partner_id, self.agent_support, 1, date(2025, 1, 1))
        run = self._run()
        todo = run._contracts_to_bill()
        # a batch that rated all but Berlin: no partial consolidated invoice
        rows = run._rate_batch([item for item in todo if item[0] != self.k_berlin])
        rows._create_invoices()
        self.assertEqual(run.move_ids.agent_contract_id, solo, "only the solo client so far")
        rows = run._rate_batch([item for item in todo if item[0] == self.k_berlin])
        rows._create_invoices()
        move = run.move_ids - run.move_ids.filtered(lambda m: m.agent_contract_id == solo)
        self.assertEqual(len(move), 1)
        self.assertEqual(
            len(move.invoice_line_ids.filtered(lambda x: x.display_type == "line_section")), 3
        )
        # background jobs: the one holding the holding's contract bills the whole group
        group = sorted((self.k_group | self.k_paris | self.k_berlin).ids)
        self.assertEqual(
            run._agent_job_contracts([self.k_group.id, solo.id]), sorted([*group, solo.id])
        )
        self.assertEqual(run._agent_job_contracts([self.k_paris.id, self.k_berlin.id]), [])
