/* The audit trail (filtered by post) and people: every account and its role. */

import { banButton } from "./bans.js";
import { announce, api, failure, main, query, when } from "./core.js";
import { h } from "../shared/dom.js";

export async function auditTrail(params) {
  const filter = h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    location.hash = `#audit${query({ post: new FormData(event.target).get("post") })}`;
  } }, h("label", { for: "a-post", text: "Post (slug)" }),
    h("input", { id: "a-post", name: "post", value: params.post || "" }), h("button", { type: "submit", text: "Filter" }));
  const body = h("tbody");
  const more = h("p");
  main.replaceChildren(h("h1", { text: "Audit trail" }), filter,
    h("table", {}, h("thead", {}, h("tr", {}, ...["When", "Who", "Action", "Comment", "Post", "Was"].map((t) =>
      h("th", { scope: "col", text: t })))), body), more);
  async function page(cursor) {
    try {
      const { data } = await api("GET", `/moderation/audit${query({ post: params.post, cursor })}`);
      for (const e of data.items) body.append(h("tr", {}, h("td", { text: when(e.at) }), h("td", { text: e.who }),
        h("td", { text: e.subject ? `${e.action} ${e.subject}` : e.action }), h("td", { text: e.comment_id }), h("td", { text: e.post }), h("td", { text: e.from_status })));
      more.replaceChildren(data.next_cursor ? h("button", { type: "button", text: "More", onclick: () => page(data.next_cursor) }) : "");
    } catch (error) {
      failure(error);
    }
  }
  await page("");
}

export async function people() {
  const body = h("tbody");
  const more = h("p");
  main.replaceChildren(h("h1", { text: "People" }), h("table", {},
    h("thead", {}, h("tr", {}, ...["Username", "Role", "Joined", "Change"].map((t) => h("th", { scope: "col", text: t })))), body), more);
  async function setRole(user, role, cell) {
    try {
      await api("PUT", `/users/${encodeURIComponent(user.username)}/role`, { role });
      user.role = role;
      cell.replaceWith(personRow(user));
      announce(`${user.username} is now ${role === "author" ? "an author" : "a reader"}.`);
    } catch (error) {
      failure(error);
    }
  }
  function personRow(user) {
    const tr = h("tr", {}, h("td", { text: user.username }), h("td", { text: user.role }), h("td", { text: when(user.created_at) }));
    const change = user.role === "admin" ? h("td", { class: "meta", text: "(admin)" })
      : h("td", {}, h("button", { type: "button", text: user.role === "author" ? `Make ${user.username} a reader` : `Make ${user.username} an author`,
        onclick: () => setRole(user, user.role === "author" ? "reader" : "author", tr) }), " ",
        banButton(["account"], { account: user.username }, user.username));
    tr.append(change);
    return tr;
  }
  async function page(cursor) {
    try {
      const { data } = await api("GET", `/users${query({ cursor })}`);
      for (const user of data.items) body.append(personRow(user));
      more.replaceChildren(data.next_cursor ? h("button", { type: "button", text: "More", onclick: () => page(data.next_cursor) }) : "");
    } catch (error) {
      failure(error);
    }
  }
  await page("");
}
