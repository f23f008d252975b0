/* Moderation: the queue and recent comments, one list of comments with its actions. */

import { banButton } from "./bans.js";
import { commentSearchForm } from "./comment-search.js";
import { announce, api, ApiError, failure, main, problemText, query, state, trusted, when } from "./core.js";
import { h } from "../shared/dom.js";

export function commentList({ title, load, actions, filters }) {
  const list = h("ol", { class: "comments", "aria-label": title });
  const more = h("p");
  const selectedCount = h("span", { class: "meta" });
  const bulk = h("div", { class: "bulk" }, selectedCount, ...actions.map(([action, label]) =>
    h("button", { type: "button", text: `${label} selected`, onclick: () => actOn(selectedRows(), action) })));
  const help = h("p", { class: "meta", text: "Keys: j / k next / previous, x select, " +
    actions.map(([action, label]) => `${action[0]} ${label.toLowerCase()}`).join(", ") + " (the selected, or the current one)." });
  main.replaceChildren(h("h1", { text: title }), filters || "", help, bulk, list, more);
  let current = -1;
  const rows = () => [...list.querySelectorAll("li.comment")];
  const selectedRows = () => rows().filter((row) => row.querySelector("input[type=checkbox]").checked);
  const updateCount = () => { selectedCount.textContent = `${selectedRows().length} selected`; };
  updateCount();

  function focusRow(index) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    for (const row of all) row.classList.remove("current");
    all[current].classList.add("current");
    all[current].focus();
  }

  async function actOn(targets, action) {
    if (!targets.length) return;
    let done = 0;
    for (const row of targets) {
      try {
        // An author deletes a held comment of their post through moderation (the public DELETE is its writer's).
        if (action === "delete" && state.me.role === "admin") await api("DELETE", `/comments/${row.dataset.id}`);
        else await api("POST", `/comments/${row.dataset.id}/moderate`, { action });
        done += 1;
        row.remove();
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return;
        row.prepend(h("p", { class: "error", role: "alert", text: problemText(error) }));
      }
    }
    const verb = { approve: "Approved", spam: "Marked as spam", delete: "Deleted" }[action];
    const left = rows().length;
    announce(`${verb} ${done} comment${done === 1 ? "" : "s"}. ${left} left.`);
    updateCount();
    if (!left) list.append(h("li", { text: "Nothing left here." }));
    else focusRow(current);
  }

  function row(comment) {
    const check = h("input", { type: "checkbox", id: `sel-${comment.id}`, onchange: updateCount });
    const author = comment.author || { name: "(deleted)" };
    const site = author.website && /^https?:\/\//i.test(author.website)
      ? h("a", { href: author.website, rel: "nofollow noopener noreferrer", target: "_blank", text: author.website }) : null;
    const li = h("li", { class: "comment", tabindex: "-1", "data-id": comment.id },
      h("div", { class: "comment-head" }, check,
        h("label", { for: `sel-${comment.id}`, class: "author", text: author.name }),
        author.username ? h("span", { class: "meta", text: `@${author.username}` }) : null,
        site,
        h("span", { class: "meta" }, "on ", h("a", { href: `#edit/${encodeURIComponent(comment.post)}`, text: comment.post })),
        h("span", { class: "meta", text: when(comment.created_at) }),
        h("span", { class: `badge ${comment.status}`, text: comment.status })),
      comment.held_because ? h("p", { class: "why", text: `Held: ${comment.held_because}` }) : null,
      trusted(comment.html),
      h("div", { class: "row-actions" }, ...actions.map(([action, label]) =>
        h("button", { type: "button", text: label, onclick: () => actOn([li], action) })),
        banButton(comment.author?.username ? ["account"] : ["email", "address"], { comment_id: comment.id },
          `this comment's author (${author.name})`)));
    li.addEventListener("focus", () => { current = rows().indexOf(li); });
    return li;
  }

  async function page(cursor) {
    try {
      const data = await load(cursor);
      for (const item of data.items) list.append(row(item));
      if (!rows().length) list.append(h("li", { text: "Nothing here." }));
      more.replaceChildren(data.next_cursor ? h("button", { type: "button", text: "More", onclick: () =>
        page(data.next_cursor) }) : "");
    } catch (error) {
      failure(error);
    }
  }

  const keys = (event) => {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.matches("input:not([type=checkbox]), textarea, select")) return;
    const all = rows();
    if (event.key === "j") { focusRow(current + 1); event.preventDefault(); return; }
    if (event.key === "k") { focusRow(current - 1); event.preventDefault(); return; }
    if (!all.length || current < 0) return;
    if (event.key === "x") {
      const box = all[current].querySelector("input[type=checkbox]");
      box.checked = !box.checked;
      updateCount();
      announce(box.checked ? "Selected." : "Not selected.");
      event.preventDefault();
      return;
    }
    const action = actions.find(([name]) => name[0] === event.key);
    if (action) {
      event.preventDefault();
      const chosen = selectedRows();
      actOn(chosen.length ? chosen : [all[current]], action[0]);
    }
  };
  document.addEventListener("keydown", keys);
  state.view = () => document.removeEventListener("keydown", keys);
  page("");
}

export function moderationQueue(params) {
  const status = params.status === "spam" ? "spam" : "pending";
  const filters = h("p", { class: "tabs" },
    h("a", { href: "#queue?status=pending", "aria-current": status === "pending" ? "true" : null, text: "Pending" }), " ",
    h("a", { href: "#queue?status=spam", "aria-current": status === "spam" ? "true" : null, text: "Spam" }));
  const yours = state.me.role !== "admin"; // an author's queue holds their own posts' comments only
  commentList({
    title: `${status === "spam" ? "Spam" : "Held for moderation"}${yours ? " on your posts" : ""}`,
    // Admins search every comment from here (the API's comment search is theirs alone).
    filters: yours ? filters : h("div", {}, commentSearchForm(), filters),
    actions: [["approve", "Approve"], ["spam", "Spam"], ["delete", "Delete"]].filter(([a]) => !(status === "spam" && a === "spam")),
    load: async (cursor) => (await api("GET", `/moderation/comments${query({ status, cursor })}`)).data,
  });
}

export function recentComments() {
  commentList({
    title: "Recent comments",
    actions: [["spam", "Spam"], ["delete", "Delete"]],
    load: async (cursor) => (await api("GET", `/moderation/recent${query({ cursor })}`)).data,
  });
}
