/* Costs (admin): the stage's CloudWatch figures and their dollars, GET /moderation/costs. */

import { api, failure, main } from "./core.js";
import { h } from "../shared/dom.js";

export const COST_FIGURES = [
  ["requests", "Requests"], ["lambda_invocations", "Lambda invocations"], ["lambda_gb_seconds", "Lambda GB-seconds"],
  ["read_units", "DynamoDB read units"], ["write_units", "DynamoDB write units"], ["mail_sent", "Mail sent"],
];
export const COST_DOLLARS = [["api_gateway", "API Gateway"], ["lambda", "Lambda"], ["dynamodb", "DynamoDB"],
  ["ses", "SES (mail)"], ["total", "Total"]];
export const PERIOD_NAMES = { today: "Today", "7d": "Last 7 days", month: "This month" };

export function usd(value) {
  // Cents hide a small blog's whole bill: below a cent, show millionths of a dollar.
  return value === 0 || value >= 0.01 ? `$${value.toFixed(2)}` : `$${value.toFixed(6)}`;
}

export function amount(value) {
  return value.toLocaleString("en-US", { maximumFractionDigits: 4 });
}

export async function costs() {
  try {
    const { data } = await api("GET", "/moderation/costs");
    const periods = data.periods;
    const head = h("tr", {}, h("th", { scope: "col", text: "" }),
      ...periods.map((p) => h("th", { scope: "col", text: PERIOD_NAMES[p.period] || p.period })));
    const row = (label, cell, cls) => h("tr", { class: cls }, h("th", { scope: "row", text: label }),
      ...periods.map((p) => h("td", { text: cell(p) })));
    const figures = h("table", { class: "costs" }, h("caption", { text: "Usage and dollars by period (UTC days)" }),
      h("thead", {}, head),
      h("tbody", {}, ...COST_FIGURES.map(([key, label]) => row(label, (p) => amount(p[key]))),
        ...COST_DOLLARS.map(([key, label]) => row(`${label}, dollars`, (p) => usd(p.dollars[key]),
          key === "total" ? "total" : null))));
    const routes = periods.map((p) => h("section", { class: "top-routes" },
      h("h2", { text: `Most expensive routes: ${(PERIOD_NAMES[p.period] || p.period).toLowerCase()}` }),
      p.top_routes.length ? h("table", {},
        h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "Route" }), h("th", { scope: "col", text: "Requests" }),
          h("th", { scope: "col", text: "Dollars" }))),
        h("tbody", {}, ...p.top_routes.map((r) => h("tr", {}, h("td", {}, h("code", { text: r.route })),
          h("td", { text: amount(r.requests) }), h("td", { text: usd(r.dollars) })))))
        : h("p", { class: "meta", text: "No figures by route: no requests yet, or the stage has ROUTE_METRICS=off." })));
    const priced = data.prices.region === data.region ? data.region
      : `${data.prices.region} (no prices for ${data.region} in the table)`;
    main.replaceChildren(h("h1", { text: "What this stage costs" }),
      h("p", { class: "meta", text: `Stage ${data.stage}, from its CloudWatch metrics. Prices of ${priced}, ` +
        `as of ${data.prices.as_of}, before any free tier; storage, data transfer and CloudWatch itself are not counted.` }),
      figures, h("div", { class: "route-costs" }, ...routes));
  } catch (error) {
    main.replaceChildren();
    failure(error);
  }
}
