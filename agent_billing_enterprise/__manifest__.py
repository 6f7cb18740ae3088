{
    "name": "Agent Billing Enterprise",
    "summary": "Multi-entity billing, cost centers, budgets, approvals, disputes, contracts",
    "version": "18.0.0.1.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "Agent Billing",
    "website": "https://github.com/agent-billing/agent-billing",
    "depends": ["agent_billing"],
    "data": [],
    "installable": True,
}
