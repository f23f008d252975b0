/* The demo blog: the newest posts (/demo/) and one post (/demo/posts/<slug>), read from the API.
 * Like the widget, it inserts no HTML but the sanitised `html` of a post; the rest is text. */
(() => {
  "use strict";

  const root = document.body.dataset.root || "";
  const main = document.getElementById("main");
  const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "long" });

  function h(tag, props, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === undefined || value === null) continue;
      if (name === "text") element.textContent = value;
      else if (name === "class") element.className = value;
      else element.setAttribute(name, String(value));
    }
    element.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined));
    return element;
  }

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

  async function showIndex() {
    const params = new URLSearchParams(window.location.search);
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

  const match = window.location.pathname.match(/\/demo\/posts\/([^/]+)\/?$/);
  const shown = async () => (match ? showPost(decodeURIComponent(match[1])) : showIndex());
  shown().catch((error) => {
    main.replaceChildren(h("p", { text: `The blog could not be loaded: ${error.message}.` }));
  });
})();
