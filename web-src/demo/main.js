/* The demo blog: the newest posts (/demo/) and one post (/demo/posts/<slug>), read from the API.
 * Like the widget, it inserts no HTML but the sanitised `html` of a post; the rest is text (the shared h()).
 * esbuild bundles it into web/demo/demo.js (make js). */

import { h } from "../shared/dom.js";

const root = document.body.dataset.root || "";
const main = document.getElementById("main");
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "long" });

async function api(path) {
  const response = await fetch(root + path);
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error((data && data.detail) || `the API answered ${response.status}`);
  return data;
}

const postUrl = (slug) => `${root}/demo/posts/${encodeURIComponent(slug)}`;
const labelUrl = (label) => `${root}/demo/?label=${encodeURIComponent(label)}`;
const comments = (n) => (n === 0 ? "No comments" : n === 1 ? "1 comment" : `${n} comments`);

function byline(post) {
  const date = post.published_at || post.created_at;
  return h("p", { class: "byline" },
    h("time", { datetime: date, text: dateFormat.format(new Date(date)) }), ` · by ${post.author}`,
    post.labels.length ? " · " : null,
    post.labels.map((label, i) => [i ? ", " : null, h("a", { href: labelUrl(label), rel: "tag", text: label })]));
}

// GET /search's title_html and snippet_html are escaped text with <mark> added. Parsed inert (DOMParser
// runs nothing), only their text and <mark> elements come into the page: nothing else could.
function marked(html) {
  const parsed = new DOMParser().parseFromString(html, "text/html").body.childNodes;
  return [...parsed].map((node) => (node.nodeName === "MARK" ? h("mark", { text: node.textContent })
    : document.createTextNode(node.textContent)));
}

// GET /search: its title_html and snippet_html are the API's escaped text with only <mark> added.
async function showSearch(q, cursor) {
  const query = new URLSearchParams({ q, lang: document.documentElement.lang || "en" });
  if (cursor) query.set("cursor", cursor);
  const page = await api(`/search?${query}`);
  main.replaceChildren(h("h1", { text: `Search: “${q}”` }));
  if (!page.posts.length) main.append(h("p", { text: "No posts match." }));
  for (const post of page.posts) {
    main.append(h("article", { class: "summary" },
      h("h2", {}, h("a", { href: postUrl(post.slug) }, marked(post.title_html))),
      byline(post), h("p", { class: "snippet" }, marked(post.snippet_html))));
  }
  if (page.next_cursor) {
    query.set("cursor", page.next_cursor);
    query.delete("lang");
    main.append(h("p", { class: "more" }, h("a", { href: `${root}/demo/?${query}`, text: "More results" })));
  }
}

async function showIndex() {
  const params = new URLSearchParams(window.location.search);
  if (params.get("q")) {
    document.getElementById("search-q").value = params.get("q");
    return showSearch(params.get("q"), params.get("cursor"));
  }
  const query = new URLSearchParams({ limit: "10" });
  for (const name of ["label", "cursor"]) if (params.get(name)) query.set(name, params.get(name));
  const page = await api(`/posts?${query}`);
  const heading = params.get("label") ? `Posts labelled “${params.get("label")}”` : "Newest posts";
  main.replaceChildren(h("h1", { text: heading }));
  if (!page.items.length) main.append(h("p", { text: "No posts yet." }));
  for (const post of page.items) {
    main.append(h("article", { class: "summary" },
      h("h2", {}, h("a", { href: postUrl(post.slug), text: post.title })),
      byline(post),
      post.summary ? h("p", { text: post.summary }) : null,
      h("p", { class: "more" }, h("a", { href: postUrl(post.slug), text: comments(post.comment_count) }))));
  }
  if (page.next_cursor) {
    query.set("cursor", page.next_cursor);
    query.delete("limit");
    main.append(h("p", { class: "more" }, h("a", { href: `${root}/demo/?${query}`, text: "Older posts" })));
  }
}

async function showPost(slug) {
  const article = document.getElementById("post");
  let post;
  try {
    post = await api(`/posts/${encodeURIComponent(slug)}`);
  } catch (error) {
    article.replaceChildren(h("h1", { text: "No such post" }), h("p", { text: `Sorry: ${error.message}.` }));
    return;
  }
  document.title = `${post.title} · A serverless blog`;
  const body = h("div", { class: "post-body" });
  body.innerHTML = post.html; // sanitised by the API when the post was written
  article.replaceChildren(h("h1", { text: post.title }), byline(post), body);
}

// The page's CSP has form-action 'none' (no form posts anywhere): the search form navigates from here.
document.querySelector("form.search")?.addEventListener("submit", (event) => {
  event.preventDefault();
  const q = document.getElementById("search-q").value.trim();
  if (q) window.location.assign(`${root}/demo/?${new URLSearchParams({ q })}`);
});

const match = window.location.pathname.match(/\/demo\/posts\/([^/]+)\/?$/);
const shown = async () => (match ? showPost(decodeURIComponent(match[1])) : showIndex());
shown().catch((error) => {
  main.replaceChildren(h("p", { text: `The blog could not be loaded: ${error.message}.` }));
});
