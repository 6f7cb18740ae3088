{
    "name": "Agent Billing Job Queue",
    "summary": "Big billing runs shared by any number of Odoo servers, as OCA queue_job jobs",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "Agent Billing",
    "website": "https://github.com/agent-billing/agent-billing",
    "depends": ["agent_billing", "queue_job"],
    "data": [
        "data/queue_job_data.xml",
    ],
    "auto_install": True,
    "installable": True,
}
