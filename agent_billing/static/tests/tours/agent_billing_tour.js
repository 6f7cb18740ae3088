/** @odoo-module */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// A finance user puts a client on a contract tier, then computes a billing run and opens the
// pre-flight review.
registry.category("web_tour.tours").add("agent_billing_contract_tour", {
    url: "/odoo/action-agent_billing.action_agent_billing_contract",
    steps: () => [
        {
            content: "Create a contract",
            trigger: ".o_control_panel_main_buttons .o_list_button_add",
            run: "click",
        },
        {
            content: "Choose the client",
            trigger: 'div.o_field_widget[name="partner_id"] input',
            run: "edit Tour Client",
        },
        {
            trigger: '.ui-menu-item a:contains("Tour Client")',
            run: "click",
        },
        {
            content: "Bill by contract tier",
            trigger: 'div.o_field_widget[name="billing_model"] select',
            run: 'select "contract"',
        },
        {
            content: "Choose the tier",
            trigger: 'div.o_field_widget[name="tier_id"] input',
            run: "edit Tour Tier",
        },
        {
            trigger: '.ui-menu-item a:contains("Tour Tier")',
            run: "click",
        },
        ...stepUtils.saveForm(),
        {
            content: "Activate the contract",
            trigger: 'button[name="action_activate"]',
            run: "click",
        },
        {
            content: "The contract is active",
            trigger: '.o_statusbar_status button[aria-checked="true"]:contains("Active")',
        },
    ],
});

registry.category("web_tour.tours").add("agent_billing_run_tour", {
    url: "/odoo/action-agent_billing.action_agent_billing_run",
    steps: () => [
        {
            content: "Create a billing run",
            trigger: ".o_control_panel_main_buttons .o_list_button_add",
            run: "click",
        },
        ...stepUtils.saveForm(),
        {
            content: "Compute it",
            trigger: 'button[name="action_compute"]',
            run: "click",
        },
        {
            content: "The pre-flight lists the client",
            trigger: '.o_field_widget[name="line_ids"] .o_data_row:contains("Tour Client")',
        },
        {
            content: "Open the client's row",
            trigger: '.o_field_widget[name="line_ids"] .o_data_row:contains("Tour Client") td.o_data_cell[name="partner_id"]',
            run: "click",
        },
        {
            content: "Its lines say what is billed",
            trigger: '.o_field_widget[name="detail_ids"] .o_data_row:contains("Tour Agent")',
        },
    ],
});
