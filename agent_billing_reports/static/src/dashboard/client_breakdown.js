/** @odoo-module **/
import { Component, markRaw, onWillStart, useState } from "@odoo/owl";
import { formatCurrency } from "@web/core/currency";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { formatFloat } from "@web/core/utils/numbers";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { BillingChart, PALETTE } from "./billing_chart";
import { PERIODS, moneyOptions } from "./billing_dashboard";

/**
 * One client's billing: revenue by period and billing model, contracts, current deployments,
 * usage trend, invoices, payment history with days to pay, forecast and profitability.
 */
export class ClientBreakdown extends Component {
    static template = "agent_billing_reports.ClientBreakdown";
    static components = { Layout, BillingChart };
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.periods = PERIODS;
        const params = this.props.action.params || {};
        this.partnerId = params.partner_id || this.props.action.context?.active_id;
        this.state = useState({ period: "monthly", data: null, loading: true });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.loading = true;
        const data = await this.orm.call("agent.billing.client.breakdown", "get_client_data", [
            this.partnerId,
            this.state.period,
        ]);
        this.charts = markRaw(this.buildCharts(data));
        this.state.data = markRaw(data);
        this.state.loading = false;
    }

    async setPeriod(period) {
        if (period !== this.state.period) {
            this.state.period = period;
            await this.load();
        }
    }

    money(value) {
        return formatCurrency(value || 0, this.state.data.currency_id);
    }

    number(value, digits = 1) {
        return value === null || value === undefined
            ? "–"
            : formatFloat(value, { digits: [0, digits] });
    }

    openAction(action) {
        this.actionService.doAction(action);
    }

    openRecord(model, id) {
        this.actionService.doAction({
            type: "ir.actions.act_window",
            res_model: model,
            res_id: id,
            views: [[false, "form"]],
            target: "current",
        });
    }

    get forecastTotal() {
        return this.state.data.forecast.values.reduce((a, b) => a + b, 0);
    }

    buildCharts(data) {
        const cur = data.currency_id;
        return {
            revenue: {
                type: "bar",
                data: {
                    labels: data.revenue.labels,
                    datasets: data.revenue.series.map((serie, i) => ({
                        label: serie.label,
                        data: serie.values,
                        backgroundColor: PALETTE[i % PALETTE.length],
                    })),
                },
                options: moneyOptions(cur, { stacked: true }),
            },
            usage: {
                type: "line",
                data: {
                    labels: data.usage.labels,
                    datasets: data.usage.series.map((serie, i) => ({
                        label: serie.label,
                        data: serie.values,
                        borderColor: PALETTE[i % PALETTE.length],
                        backgroundColor: PALETTE[i % PALETTE.length],
                        tension: 0.2,
                    })),
                },
                options: {
                    scales: { y: { beginAtZero: true } },
                    plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
                },
            },
            forecast: {
                type: "bar",
                data: {
                    labels: data.forecast.labels,
                    datasets: [
                        {
                            label: _t("Forecast"),
                            data: data.forecast.values,
                            backgroundColor: PALETTE[1],
                        },
                    ],
                },
                options: {
                    ...moneyOptions(cur),
                    plugins: { ...moneyOptions(cur).plugins, legend: { display: false } },
                },
            },
        };
    }
}

registry.category("actions").add("agent_billing_reports.client_breakdown", ClientBreakdown);
