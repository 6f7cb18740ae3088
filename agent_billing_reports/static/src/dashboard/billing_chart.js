/** @odoo-module **/
import { Component, onWillStart, useEffect, useRef } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";

/** Colours of the payment statuses, the same everywhere in the reports. */
export const STATUS_COLORS = {
    paid: "#28a745",
    pending: "#f0ad4e",
    overdue: "#dc3545",
};
export const AGING_COLORS = ["#28a745", "#f0ad4e", "#fd7e14", "#e8590c", "#dc3545"];
export const PALETTE = ["#3f6ad8", "#7c4dff", "#00a09d", "#f06050", "#f4a460", "#6cc1ed"];

/**
 * A Chart.js chart (Odoo's bundled copy, loaded with the "web.chartjs_lib" bundle).
 * `config` is a Chart.js configuration; it is drawn again when it changes. `onClick(index,
 * datasetIndex)` is called with the bar, point or slice clicked.
 */
export class BillingChart extends Component {
    static template = "agent_billing_reports.BillingChart";
    static props = {
        config: Object,
        onClick: { type: Function, optional: true },
        height: { type: Number, optional: true },
        name: { type: String, optional: true },
    };
    static defaultProps = { height: 260 };

    setup() {
        this.canvasRef = useRef("canvas");
        this.chart = null;
        onWillStart(() => loadBundle("web.chartjs_lib"));
        useEffect(
            () => {
                this.renderChart();
                return () => this.chart?.destroy();
            },
            () => [this.props.config]
        );
    }

    renderChart() {
        const config = this.props.config;
        const options = {
            responsive: true,
            maintainAspectRatio: false,
            animation: false,
            ...config.options,
            onClick: (event, elements) => {
                if (elements.length && this.props.onClick) {
                    this.props.onClick(elements[0].index, elements[0].datasetIndex);
                }
            },
            onHover: (event, elements) => {
                if (this.props.onClick) {
                    event.native.target.style.cursor = elements.length ? "pointer" : "default";
                }
            },
        };
        this.chart = new Chart(this.canvasRef.el, { ...config, options });
    }
}
