"""Plain-Python helpers of agent_billing that import nothing from Odoo (e.g. spreadsheet safety
of the exports)."""
