/* Bans: made from a comment (queue, recent) or a person, listed and lifted; and the stage's settings. */

import { announce, api, ApiError, failure, main, problemText, query, when } from "./core.js";
import { h } from "../shared/dom.js";

export const BAN_KINDS = { account: "their account", email: "their e-mail", address: "their address" };

/** A "Ban…" button that opens, after itself, a form banning ``target`` (comment_id or account) by one of ``kinds``. */
export function banButton(kinds, target, whom) {
  const button = h("button", { type: "button", "aria-expanded": "false", text: "Ban…" });
  button.addEventListener("click", () => {
    const open = button.nextElementSibling?.classList.contains("ban-form");
    if (open) { button.nextElementSibling.remove(); button.setAttribute("aria-expanded", "false"); return; }
    button.after(banForm(kinds, target, whom, () => { button.setAttribute("aria-expanded", "false"); button.focus(); }));
    button.setAttribute("aria-expanded", "true");
  });
  return button;
}

export function banForm(kinds, target, whom, closed) {
  const id = `ban-${Math.random().toString(36).slice(2)}`;
  const error = h("p", { class: "error", role: "alert" });
  const choice = (name, value, label, checked) => h("label", {},
    h("input", { type: "radio", name: `${id}-${name}`, value, checked }), ` ${label}`);
  const form = h("form", { class: "ban-form", "aria-label": `Ban ${whom}` },
    h("fieldset", {}, h("legend", { text: `Ban ${whom} by` }),
      ...kinds.map((kind, i) => choice("by", kind, BAN_KINDS[kind], i === 0))),
    h("fieldset", {}, h("legend", { text: "How" }),
      choice("mode", "ban", "Ban: refused, with a message", true), " ",
      choice("mode", "shadow", "Shadow-ban: their comments shown to them alone", false)),
    h("label", { for: `${id}-days`, text: "Days (empty: until lifted)" }),
    h("input", { id: `${id}-days`, name: "days", type: "number", min: "1", max: "3650", inputmode: "numeric" }),
    h("label", { for: `${id}-reason`, text: "Reason (for moderators; never shown to them)" }),
    h("input", { id: `${id}-reason`, name: "reason", maxlength: "300" }),
    error,
    h("div", { class: "row-actions" }, h("button", { type: "submit", text: "Ban" }),
      h("button", { type: "button", text: "Cancel", onclick: () => { form.remove(); closed(); } })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = new FormData(form);
    const days = fields.get("days");
    const by = fields.get(`${id}-by`);
    try {
      await api("POST", "/moderation/bans", { ...target, by, mode: fields.get(`${id}-mode`),
        reason: fields.get("reason") || "", days: days ? Number(days) : null });
      form.replaceWith(h("p", { class: "meta", role: "status", text: `Banned ${whom}: ${BAN_KINDS[by]}.` }));
      announce(`Banned ${whom}.`);
    } catch (failed) {
      if (failed instanceof ApiError && failed.status === 401) return;
      error.textContent = problemText(failed);
    }
  });
  return form;
}

export async function bans() {
  const body = h("tbody");
  const more = h("p");
  main.replaceChildren(h("h1", { text: "Bans" }), h("table", {},
    h("thead", {}, h("tr", {}, ...["Banned", "How", "Reason", "By", "Made", "Until", "Lift"].map((t) =>
      h("th", { scope: "col", text: t })))), body), more);
  async function lift(ban, tr) {
    try {
      await api("DELETE", `/moderation/bans/${encodeURIComponent(ban.id)}`);
      tr.remove();
      announce(`Lifted the ban of ${ban.id}.`);
    } catch (error) {
      failure(error);
    }
  }
  async function page(cursor) {
    try {
      const { data } = await api("GET", `/moderation/bans${query({ cursor })}`);
      for (const ban of data.items) {
        const tr = h("tr", {}, h("td", { text: `${ban.by}: ${ban.id.slice(ban.id.indexOf("-") + 1)}` }),
          h("td", { text: ban.mode === "shadow" ? "shadow-ban" : "ban" }), h("td", { text: ban.reason }),
          h("td", { text: ban.banned_by }), h("td", { text: when(ban.created_at) }),
          h("td", { text: ban.until ? when(ban.until) : "until lifted" }));
        tr.append(h("td", {}, h("button", { type: "button", text: `Lift ${ban.id}`, onclick: () => lift(ban, tr) })));
        body.append(tr);
      }
      if (!body.children.length) body.append(h("tr", {}, h("td", { colspan: "7", text: "No bans." })));
      more.replaceChildren(data.next_cursor ? h("button", { type: "button", text: "More", onclick: () => page(data.next_cursor) }) : "");
    } catch (error) {
      failure(error);
    }
  }
  await page("");
}

export async function settings() {
  try {
    const { data } = await api("GET", "/moderation/settings");
    const labels = { moderation: "Moderation", comment_rate_limit: "Comments per address", comment_max_links: "Links per comment",
      edit_window_seconds: "Edit window (seconds)", comments_close_after_days: "Comments close after (days; 0 never)",
      notifications: "E-mail notifications", anonymous_comments: "Anonymous comments" };
    main.replaceChildren(h("h1", { text: "Comment rules on this stage" }),
      h("p", { class: "meta", text: "Read-only: they are set per stage (see the README's Settings)." }),
      h("dl", { class: "settings" }, ...Object.entries(data).flatMap(([key, value]) =>
        [h("dt", { text: labels[key] || key }), h("dd", { text: typeof value === "boolean" ? (value ? "on" : "off") : String(value) })])));
  } catch (error) {
    main.replaceChildren();
    failure(error);
  }
}
