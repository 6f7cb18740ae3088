/** @odoo-module **/
import { Component, markRaw, onWillStart, useState } from "@odoo/owl";
import { formatCurrency } from "@web/core/currency";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { formatFloat } from "@web/core/utils/numbers";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { AGING_COLORS, BillingChart, PALETTE, STATUS_COLORS } from "./billing_chart";

export const PERIODS = [
    ["monthly", _t("Monthly")],
    ["quarterly", _t("Quarterly")],
    ["yearly", _t("Yearly")],
];

/** Axis ticks and tooltips in the company currency. */
export function moneyOptions(currencyId, { horizontal = false, stacked = false } = {}) {
    const short = (value) => formatCurrency(value, currencyId, { humanReadable: true });
    const valueAxis = {
        stacked,
        beginAtZero: true,
        ticks: { callback: short, maxTicksLimit: 6, maxRotation: 0 },
    };
    const categoryAxis = { stacked, grid: { display: false }, ticks: { maxRotation: 0 } };
    if (horizontal) {
        // long client names: shortened on the axis, whole in the tooltip
        categoryAxis.ticks.callback = function (value) {
            const label = this.getLabelForValue(value);
            const max = this.chart.width < 420 ? 14 : 26;
            return label.length > max ? `${label.slice(0, max - 1)}…` : label;
        };
    }
    return {
        indexAxis: horizontal ? "y" : "x",
        scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
        plugins: {
            legend: { position: "bottom", labels: { boxWidth: 12 } },
            tooltip: {
                callbacks: {
                    label: (ctx) => {
                        const value = horizontal ? ctx.parsed.x : ctx.parsed.y;
                        const label = ctx.dataset.label ? `${ctx.dataset.label}: ` : "";
                        return label + formatCurrency(value ?? ctx.parsed, currencyId);
                    },
                },
            },
        },
    };
}

/**
 * Billing dashboard: KPIs, revenue trend (monthly / quarterly / yearly), aging, revenue by
 * billing model, top clients, payment trend, forecast with its back-tested error, and
 * profitability. One RPC (agent.billing.dashboard.get_dashboard_data); every figure opens
 * the records behind it.
 */
export class BillingDashboard extends Component {
    static template = "agent_billing_reports.BillingDashboard";
    static components = { Layout, BillingChart };
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.periods = PERIODS;
        this.forecastChoices = [3, 6, 12];
        this.state = useState({ period: "monthly", forecastMonths: 6, data: null, loading: true });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.loading = true;
        const data = await this.orm.call("agent.billing.dashboard", "get_dashboard_data", [
            this.state.period,
            this.state.forecastMonths,
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

    async setForecastMonths(ev) {
        this.state.forecastMonths = parseInt(ev.target.value, 10);
        await this.load();
    }

    // --- Formatting ---------------------------------------------------------------------
    money(value) {
        return formatCurrency(value || 0, this.state.data.currency_id);
    }

    formatKpi(kpi) {
        if (kpi.value === null || kpi.value === undefined) {
            return "–";
        }
        if (kpi.format === "monetary") {
            return this.money(kpi.value);
        }
        if (kpi.format === "days") {
            return _t("%s days", formatFloat(kpi.value, { digits: [0, 1] }));
        }
        return String(kpi.value);
    }

    changeLabel(kpi) {
        const sign = kpi.change_pct > 0 ? "+" : "";
        return `${sign}${formatFloat(kpi.change_pct, { digits: [0, 1] })} %`;
    }

    number(value, digits = 1) {
        return formatFloat(value, { digits: [0, digits] });
    }

    percent(value) {
        return value === null || value === undefined
            ? "–"
            : `${formatFloat(value, { digits: [0, 1] })} %`;
    }

    // --- Drill-down ----------------------------------------------------------------------
    openAction(action) {
        if (action) {
            this.actionService.doAction(action);
        }
    }

    async openClient(partnerId) {
        const action = await this.orm.call("agent.billing.client.breakdown", "action_open", [
            partnerId,
        ]);
        this.actionService.doAction(action);
    }

    openAnalysis(xmlid) {
        this.actionService.doAction(xmlid);
    }

    // --- Charts --------------------------------------------------------------------------
    buildCharts(data) {
        const cur = data.currency_id;
        const statusLabels = { paid: _t("Paid"), pending: _t("Pending"), overdue: _t("Overdue") };
        const trend = data.trend;
        const forecast = data.forecast;
        return {
            trend: {
                type: "bar",
                data: {
                    labels: trend.labels,
                    datasets: ["paid", "pending", "overdue"].map((status) => ({
                        label: statusLabels[status],
                        data: trend.series[status],
                        backgroundColor: STATUS_COLORS[status],
                        stack: "revenue",
                    })),
                },
                options: moneyOptions(cur, { stacked: true }),
            },
            trendClick: (index, datasetIndex) =>
                this.openAction(trend.actions[["paid", "pending", "overdue"][datasetIndex]][index]),
            aging: {
                type: "bar",
                data: {
                    labels: data.aging.labels,
                    datasets: [
                        {
                            label: _t("Open amount"),
                            data: data.aging.values,
                            backgroundColor: AGING_COLORS,
                        },
                    ],
                },
                options: { ...moneyOptions(cur), plugins: { ...moneyOptions(cur).plugins, legend: { display: false } } },
            },
            agingClick: (index) => this.openAction(data.aging.actions[index]),
            models: {
                type: "doughnut",
                data: {
                    labels: data.billing_models.labels,
                    datasets: [
                        {
                            data: data.billing_models.values,
                            backgroundColor: PALETTE,
                        },
                    ],
                },
                options: {
                    plugins: {
                        legend: { position: "bottom", labels: { boxWidth: 12 } },
                        tooltip: {
                            callbacks: {
                                label: (ctx) => `${ctx.label}: ${formatCurrency(ctx.parsed, cur)}`,
                            },
                        },
                    },
                },
            },
            modelsClick: (index) => this.openAction(data.billing_models.actions[index]),
            clients: {
                type: "bar",
                data: {
                    labels: data.top_clients.labels,
                    datasets: [
                        {
                            label: _t("Revenue"),
                            data: data.top_clients.values,
                            backgroundColor: PALETTE[0],
                        },
                    ],
                },
                options: {
                    ...moneyOptions(cur, { horizontal: true }),
                    plugins: { ...moneyOptions(cur, { horizontal: true }).plugins, legend: { display: false } },
                },
            },
            clientsClick: (index) => this.openClient(data.top_clients.ids[index]),
            payments: {
                type: "bar",
                data: {
                    labels: data.payments.labels,
                    datasets: [
                        {
                            label: _t("Collected"),
                            data: data.payments.collected,
                            backgroundColor: STATUS_COLORS.paid,
                            order: 2,
                        },
                        {
                            label: _t("Invoiced (taxes included)"),
                            data: data.payments.invoiced,
                            type: "line",
                            borderColor: PALETTE[0],
                            backgroundColor: PALETTE[0],
                            tension: 0.2,
                            order: 1,
                        },
                    ],
                },
                options: moneyOptions(cur),
            },
            paymentsClick: (index, datasetIndex) => {
                if (datasetIndex === 0) {
                    this.openAction(data.payments.actions[index]);
                }
            },
            forecast: {
                type: "bar",
                data: {
                    labels: forecast.labels,
                    datasets: [
                        {
                            label: _t("Actual"),
                            data: forecast.actual,
                            backgroundColor: "#9fb4e8",
                            order: 3,
                        },
                        {
                            label: _t("Back-test (forecast made the month before)"),
                            data: forecast.backtest,
                            type: "line",
                            borderColor: "#6c757d",
                            backgroundColor: "#6c757d",
                            borderDash: [4, 4],
                            spanGaps: false,
                            order: 2,
                        },
                        {
                            label: _t("Forecast"),
                            data: forecast.forecast,
                            type: "line",
                            borderColor: PALETTE[1],
                            backgroundColor: PALETTE[1],
                            borderWidth: 3,
                            order: 1,
                        },
                    ],
                },
                options: moneyOptions(cur),
            },
        };
    }
}

registry.category("actions").add("agent_billing_reports.dashboard", BillingDashboard);
