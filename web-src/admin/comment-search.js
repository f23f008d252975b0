/* Comment search for admins (GET /moderation/comments/search): words or an author's name, narrowed to a post or
 * a status; newest first, 20 a page, paged by the API's opaque cursor. The moderation view holds the box; results
 * have an address of their own (#search?q=…), so the back button and a copied link bring them again. */

import { announce, api, failure, main, query, trusted, when } from "./core.js";
import { h } from "../shared/dom.js";

const STATUSES = [["", "Any status"], ["approved", "Public"], ["pending", "Held"], ["spam", "Spam"]];

/** The search box, filled with the search shown; sending it opens the results' address. */
export function commentSearchForm(params = {}) {
  const q = h("input", { id: "c-search", name: "q", type: "search", maxlength: "200", required: true });
  q.value = params.q || "";
  const post = h("input", { id: "c-search-post", name: "post", type: "text", maxlength: "200",
    placeholder: "any post" });
  post.value = params.post || "";
  const status = h("select", { id: "c-search-status", name: "status" },
    STATUSES.map(([value, label]) => h("option", { value, text: label, selected: value === (params.status || "") })));
  return h("form", { class: "filters comment-search", role: "search", "aria-label": "Search comments",
    onsubmit: (event) => {
      event.preventDefault();
      const wanted = { q: q.value.trim(), post: post.value.trim(), status: status.value };
      if (!wanted.q) return;
      const address = `#search${query(wanted)}`;
      // The same search again (a changed page since): the address does not change, so no hashchange comes.
      if (location.hash === address) commentSearch(wanted);
      else location.hash = address;
    } },
  h("label", { for: "c-search", text: "Search comments" }), q,
  h("label", { for: "c-search-post", text: "Post (slug)" }), post,
  h("label", { for: "c-search-status", text: "Status" }), status,
  h("button", { type: "submit", text: "Search comments" }));
}

/** One comment found: its post, author, status and time, the passage that matched, and links to its thread. */
function found(comment) {
  const author = comment.author || { name: "(deleted)" };
  const thread = `#thread/${encodeURIComponent(comment.post)}`;
  return h("li", { class: "comment found", "data-id": comment.id },
    h("div", { class: "comment-head" },
      h("span", { class: "author", text: author.name }),
      author.username ? h("span", { class: "meta", text: `@${author.username}` }) : null,
      h("span", { class: "meta" }, "on ", h("a", { href: thread, text: comment.post })),
      h("span", { class: "meta", text: when(comment.created_at) }),
      h("span", { class: `badge ${comment.status}`, text: comment.status })),
    // The API's escaped text of the comment with <mark> around the words, parsed inert like all its HTML.
    trusted(comment.snippet_html),
    h("p", { class: "row-actions" }, h("a", { href: `${thread}?comment=${encodeURIComponent(comment.id)}`,
      "aria-label": `Open the comment by ${author.name} in its thread`, text: "Open the comment" })));
}

/** The view at #search?q=…[&post=…][&status=…]: the box, then the results, 20 at a time. */
export async function commentSearch(params) {
  const list = h("ol", { class: "comments", "aria-label": "Comments found" });
  const more = h("p");
  const summary = h("p", { class: "meta", role: "status" });
  main.replaceChildren(h("h1", { text: "Search comments" }), commentSearchForm(params), summary, list, more);
  if (!params.q) return;
  let shown = 0;
  async function page(cursor) {
    try {
      const { data } = await api("GET", `/moderation/comments/search${query({ q: params.q, post: params.post,
        status: params.status, cursor })}`);
      list.append(...data.items.map(found));
      shown += data.items.length;
      const line = shown ? `${shown} comment${shown === 1 ? "" : "s"} found${data.next_cursor ? " so far" : ""}.`
        : "No comment matches.";
      summary.textContent = line;
      announce(line);
      more.replaceChildren(data.next_cursor ? h("button", { type: "button", text: "More results", onclick: () => {
        more.replaceChildren();
        page(data.next_cursor);
      } }) : "");
      // A keyboard user who asked for more continues at the first comment it brought.
      if (cursor && data.items.length) list.children[shown - data.items.length].querySelector("a")?.focus();
    } catch (error) {
      failure(error);
    }
  }
  await page("");
}
