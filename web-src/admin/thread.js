/* One post's thread: pin a comment, lock the thread (admins, and the post's author). */

import { announce, api, ApiError, failure, main, query, trusted, when } from "./core.js";
import { h } from "../shared/dom.js";

export async function threadTools(slug, params = {}) {
  const path = `/posts/${encodeURIComponent(slug)}`;
  let post;
  try {
    post = (await api("GET", `${path}?embed=comments&comments_limit=100`)).data;
  } catch (error) {
    main.replaceChildren(h("h1", { text: "Thread" }));
    failure(error);
    return;
  }
  const lockState = h("p", { class: "meta" });
  const lockButton = h("button", { type: "button", onclick: () => toggleLock() });
  const pinBox = h("div");
  const list = h("ol", { class: "comments", "aria-label": "Top-level comments" });
  const more = h("p");
  main.replaceChildren(h("h1", { text: `Thread of “${post.title}”` }),
    h("section", { "aria-labelledby": "lock-h" }, h("h2", { id: "lock-h", text: "Lock" }), lockState, lockButton),
    h("section", { "aria-labelledby": "pin-h" }, h("h2", { id: "pin-h", text: "Pinned comment" }), pinBox),
    h("h2", { text: "Comments" }), list, more);

  function showLock() {
    lockState.textContent = post.locked
      ? "Locked: comments stay visible; no new comment, reply or edit is taken."
      : "Open for comments.";
    lockButton.textContent = post.locked ? "Unlock the thread" : "Lock the thread";
  }

  async function toggleLock() {
    try {
      const { data } = await api(post.locked ? "DELETE" : "PUT", `${path}/lock`);
      post.locked = data.locked;
      showLock();
      announce(post.locked ? "The thread is locked." : "The thread is open again.");
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) failure(error, lockState.parentElement);
    }
  }

  function showPin(comment) {
    post.pinned_comment = comment;
    pinBox.replaceChildren(comment
      ? h("div", { class: "comment pinned" },
        h("div", { class: "comment-head" }, h("span", { class: "author", text: comment.author?.name || "(deleted)" }),
          h("span", { class: "meta", text: when(comment.created_at) })),
        trusted(comment.html),
        h("div", { class: "row-actions" }, h("button", { type: "button", text: "Unpin", onclick: () => unpin() })))
      : h("p", { class: "meta", text: "No comment is pinned." }));
  }

  async function pin(comment, where) {
    try {
      const { data } = await api("PUT", `${path}/pin`, { comment_id: comment.id });
      showPin(data.pinned);
      announce("Pinned: it now comes first in the thread.");
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) failure(error, where);
    }
  }

  async function unpin() {
    try {
      await api("DELETE", `${path}/pin`);
      showPin(null);
      announce("Unpinned.");
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) failure(error, pinBox);
    }
  }

  function row(comment) {
    const li = h("li", { class: "comment", "data-id": comment.id },
      h("div", { class: "comment-head" }, h("span", { class: "author", text: comment.author?.name || "(deleted)" }),
        h("span", { class: "meta", text: when(comment.created_at) })),
      trusted(comment.html));
    if (comment.status === "approved") {
      li.append(h("div", { class: "row-actions" }, h("button", { type: "button", text: "Pin",
        "aria-label": `Pin the comment by ${comment.author?.name || "Anonymous"}`, onclick: () => pin(comment, li) })));
    }
    return li;
  }

  function addPage(items, cursor) {
    // Only top-level comments are pinned: a reply stays under the comment it answers.
    for (const comment of items.filter((c) => !c.parent_id)) list.append(row(comment));
    if (!list.children.length) list.append(h("li", { text: "No comments yet." }));
    more.replaceChildren(cursor ? h("button", { type: "button", text: "More", onclick: async () => {
      try {
        const { data } = await api("GET", `${path}/comments${query({ limit: "100", cursor })}`);
        addPage(data.items, data.next_cursor);
      } catch (error) {
        failure(error, more);
      }
    } }) : "");
  }

  showLock();
  showPin(post.pinned_comment);
  addPage(post.comments, post.comments_next_cursor);
  if (params.comment) await showAsked(params.comment);
}

/** The comment a link named (#thread/<slug>?comment=<id>, from comment search): shown whole above the thread's
 * tools, whatever its status or depth (GET /comments/{id}, which shows an admin held ones too). */
async function showAsked(id) {
  const box = h("section", { class: "card asked", "aria-labelledby": "asked-h", tabindex: "-1" },
    h("h2", { id: "asked-h", text: "The comment you opened" }));
  main.querySelector("h1").after(box);
  try {
    const { data: comment } = await api("GET", `/comments/${encodeURIComponent(id)}`);
    box.append(h("div", { class: "comment-head" },
      h("span", { class: "author", text: comment.author?.name || "(deleted)" }),
      h("span", { class: "meta", text: when(comment.created_at) }),
      h("span", { class: `badge ${comment.status}`, text: comment.status })),
    trusted(comment.html));
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) failure(error, box);
  }
  box.focus();
}
