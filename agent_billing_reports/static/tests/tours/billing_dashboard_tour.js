/** @odoo-module */

import { registry } from "@web/core/registry";

// A finance user opens the billing dashboard, switches the revenue trend to quarters, then
// opens the invoices behind the overdue figure.
registry.category("web_tour.tours").add("agent_billing_reports_dashboard_tour", {
    url: "/odoo/action-agent_billing_reports.action_agent_billing_dashboard",
    steps: () => [
        {
            content: "The dashboard shows its KPIs",
            trigger: ".o_ab_kpi[data-kpi='revenue_month'] .o_ab_kpi_value",
        },
        {
            content: "Its charts are drawn",
            trigger: ".o_ab_card[data-chart='trend'] canvas",
        },
        {
            content: "Switch the revenue trend to quarters",
            trigger: ".o_ab_period_switch button[data-period='quarterly']",
            run: "click",
        },
        {
            content: "The trend is by quarter",
            trigger: ".o_ab_period_switch button.active[data-period='quarterly']",
        },
        {
            trigger: ".o_ab_card[data-chart='models'] .o_ab_legend_hint:contains('Q')",
        },
        {
            content: "Open the overdue invoices",
            trigger: ".o_ab_kpi[data-kpi='overdue']",
            run: "click",
        },
        {
            content: "The invoices behind the figure are listed",
            trigger: ".o_list_view .o_data_row:contains('Tour Client')",
        },
        {
            trigger: ".o_breadcrumb:contains('Overdue invoices')",
        },
    ],
});
