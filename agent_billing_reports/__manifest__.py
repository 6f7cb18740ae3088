{
    "name": "Agent Billing Reports",
    "summary": "Finance dashboard, revenue and receivables analysis, client breakdown, forecast "
    "and profitability for Agent Billing",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "Agent Billing",
    "website": "https://github.com/agent-billing/agent-billing",
    "depends": ["agent_billing"],
    "data": [
        "security/ir.model.access.csv",
        "security/agent_billing_reports_rules.xml",
        "data/agent_billing_reports_data.xml",
        "views/agent_billing_revenue_report_views.xml",
        "views/agent_billing_receivable_report_views.xml",
        "views/agent_billing_profitability_views.xml",
        "views/agent_billing_cost_views.xml",
        "views/agent_billing_dashboard_views.xml",
        "views/agent_billing_reports_menus.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "agent_billing_reports/static/src/dashboard/*.js",
            "agent_billing_reports/static/src/dashboard/*.xml",
            "agent_billing_reports/static/src/dashboard/*.scss",
        ],
        "web.assets_tests": [
            "agent_billing_reports/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
