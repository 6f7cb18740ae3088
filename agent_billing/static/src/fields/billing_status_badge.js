/** @odoo-module **/
import { registry } from "@web/core/registry";
import { BadgeField, badgeField } from "@web/views/fields/badge/badge_field";

/**
 * The billing status of an invoice as a coloured badge: green paid, yellow pending,
 * red overdue, orange disputed, grey draft or void. Odoo's badge decorations have no
 * orange, so the colour comes from the value itself.
 */
export class BillingStatusBadgeField extends BadgeField {
    get classFromDecoration() {
        const value = this.props.record.data[this.props.name];
        return value ? `o_agent_billing_status o_agent_billing_status_${value}` : "";
    }
}

registry.category("fields").add("agent_billing_status_badge", {
    ...badgeField,
    component: BillingStatusBadgeField,
    displayName: "Billing Status Badge",
    supportedTypes: ["selection"],
});
