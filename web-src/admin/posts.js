/* The post list, its search, and a row per post. */

import { announce, api, failure, main, query, state, trusted, when } from "./core.js";
import { h } from "../shared/dom.js";

export async function postList(params) {
  const status = params.status || "published";
  const mine = state.me.role !== "admin" || params.author !== undefined;
  const author = params.author || (state.me.role === "admin" ? "" : state.me.username);  // an admin: every author's
  const filters = h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    location.hash = `#posts${query({ status: data.get("status"), label: data.get("label"),
      author: data.get("author") })}`;
  } },
    h("label", { for: "f-status", text: "Status" }),
    h("select", { id: "f-status", name: "status" }, ...["published", "draft", "scheduled"].map((s) =>
      h("option", { value: s, selected: s === status, text: s }))),
    h("label", { for: "f-label", text: "Label" }),
    h("input", { id: "f-label", name: "label", value: params.label || "", list: "label-list" }),
    state.me.role === "admin" ? [h("label", { for: "f-author", text: "Author" }),
      h("input", { id: "f-author", name: "author", value: author, placeholder: "everyone" })] : null,
    h("button", { type: "submit", text: "Show" }));
  const list = h("ul", { class: "posts" });
  const more = h("p");
  const heading = h("h1", { text: mine && state.me.role !== "admin" ? "Your posts" : "Posts" });
  main.replaceChildren(heading, postSearch(list, more), filters, list, more);
  if (params.label && status !== "published") {
    failure(new Error(), main).textContent = "A label filters published posts only.";
    return;
  }
  async function page(cursor) {
    try {
      const filter = params.label ? { label: params.label } : { status: status === "published" ? "" : status, author };
      const { data } = await api("GET", `/posts${query({ ...filter, cursor, limit: "20" })}`);
      for (const post of data.items) list.append(postRow(post));
      if (!list.children.length) list.append(h("li", { text: "No posts here." }));
      more.replaceChildren(data.next_cursor ? h("button", { type: "button", text: "More posts", onclick: () =>
        page(data.next_cursor) }) : "");
    } catch (error) {
      failure(error);
    }
  }
  await page("");
}

// Search over published posts (GET /search): its results replace the list; title_html and snippet_html
// are the API's escaped text with <mark> added, parsed inert like every HTML the API sends.
export function postSearch(list, more) {
  return h("form", { class: "filters", role: "search", onsubmit: async (event) => {
    event.preventDefault();
    const q = new FormData(event.target).get("q").trim();
    if (!q) return;
    try {
      const { data } = await api("GET", `/search${query({ q, lang: document.documentElement.lang || "en" })}`);
      list.replaceChildren(...data.posts.map((post) => h("li", { class: "post-row" },
        h("a", { href: `#edit/${encodeURIComponent(post.slug)}`, text: post.title }),
        h("span", { class: "meta", text: `${post.author} · ${when(post.published_at)}` }),
        trusted(post.snippet_html))));
      if (!data.posts.length) list.append(h("li", { text: "No published post matches." }));
      more.replaceChildren();
      announce(`${data.posts.length} posts found`);
    } catch (error) {
      failure(error);
    }
  } },
    h("label", { for: "f-search", text: "Search published posts" }),
    h("input", { id: "f-search", name: "q", type: "search", maxlength: "200" }),
    h("button", { type: "submit", text: "Search" }));
}

export function postRow(post) {
  const count = post.comment_count === 1 ? "1 comment" : `${post.comment_count} comments`;
  const date = post.status === "draft" ? `edited ${when(post.updated_at)}`
    : post.status === "scheduled" ? `due ${when(post.published_at)}` : when(post.published_at);
  return h("li", { class: "post-row" },
    h("a", { href: `#edit/${encodeURIComponent(post.slug)}`, text: post.title }),
    h("span", { class: `badge ${post.status}`, text: post.status }),
    h("span", { class: "meta", text: `${post.author} · ${date} · ${count}` }),
    post.status === "published" ? h("a", { href: `#thread/${encodeURIComponent(post.slug)}`,
      "aria-label": `Pin and lock: ${post.title}`, text: "Pin and lock" }) : null,
    post.labels.length ? h("span", { class: "meta", text: post.labels.join(", ") }) : null);
}
