from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import mail_new_test_user
from .test_invoice_report import AgentBillingInvoiceCommon

SECRET = "Renewal discount ZX81"


@tagged("post_install", "-at_install")
class TestPortal(AgentBillingInvoiceCommon, HttpCase):
    """Each client sees in the portal the breakdown of its own invoices, and nobody else's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_grad = cls._portal_user("grad_portal", "Gina Graduated", cls.c_grad)
        cls.user_ovr = cls._portal_user("ovr_portal", "Otto Override", cls.c_ovr)
        cls.grad, cls.ovr = cls.inv["GRAD"], cls.inv["OVR"]
        if "agent_internal_note" in cls.grad._fields:
            cls.grad.agent_internal_note = f"<p>{SECRET}</p>"

    @classmethod
    def _portal_user(cls, login, name, client):
        user = mail_new_test_user(
            cls.env,
            login=login,
            name=name,
            groups="base.group_portal",
            email=f"{login}@example.com",
        )
        user.partner_id.parent_id = client
        return user

    def _get(self, url):
        response = self.url_open(url)
        return response, response.text

    def test_own_invoice_shows_the_breakdown(self):
        self.authenticate("grad_portal", "grad_portal")
        response, page = self._get(f"/my/invoices/{self.grad.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.grad.name, page)
        self.assertIn(f"/my/invoices/{self.grad.id}?access_token=", page)
        self.assertIn("report_type=html", page, "the document is shown in an iframe")
        response, document = self._get(f"/my/invoices/{self.grad.id}?report_type=html")
        self.assertEqual(response.status_code, 200)
        self._keep("portal.html", response.content)
        for text in (
            "Usage Breakdown",
            "Billing Period",
            "Amount Due",
            "1,000 at 0.1000; 4,000 at 0.0800; 1,000 at 0.0500",
            "6,000",
            "470.00",
            self.grad.name,
        ):
            self.assertIn(text, document)
        for internal in (SECRET, "Contract tier", "Price From", "anomal"):
            self.assertNotIn(internal, document)
        response, listing = self._get("/my/invoices")
        self.assertIn(self.grad.name, listing)
        self.assertNotIn(self.ovr.name, listing)

    @mute_logger("odoo.http")
    def test_other_clients_invoice_is_refused(self):
        self.authenticate("grad_portal", "grad_portal")
        for suffix in ("", "?report_type=html", "?report_type=pdf&download=True"):
            response, page = self._get(f"/my/invoices/{self.ovr.id}{suffix}")
            self.assertTrue(response.url.endswith("/my"), f"{suffix}: sent back to /my")
            self.assertTrue(response.history and response.history[0].status_code in (302, 303))
            for text in (
                self.ovr.name,
                "Usage Breakdown",
                "Sales Agent",
                "169.35",
                "Override GmbH",
            ):
                self.assertNotIn(text, page)
        # the other way round too
        self.authenticate("ovr_portal", "ovr_portal")
        response, document = self._get(f"/my/invoices/{self.ovr.id}?report_type=html")
        self.assertIn("169.35", document)
        response, page = self._get(f"/my/invoices/{self.grad.id}?report_type=html")
        self.assertTrue(response.url.endswith("/my"))
        self.assertNotIn("470.00", page)
