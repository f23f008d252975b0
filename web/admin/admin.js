// The blog's admin console: plain JavaScript, no framework, no build step.
// It talks only to the public API, with the signed-in user's token kept in sessionStorage
// (never a cookie). Text from the API is always set as text; the only HTML inserted is the
// `html` the API sanitised (a post, a comment, a preview).
"use strict";

(() => {
  const API = (document.body.dataset.api || "").replace(/\/$/, "");
  const TOKEN_KEY = "blog-console-token";
  const RETURN_KEY = "blog-console-return";
  const DRAFT_PREFIX = "blog-console-draft:";
  const main = document.getElementById("main");
  const nav = document.getElementById("nav");
  const who = document.getElementById("who");
  const live = document.getElementById("live");
  let me = null; // {username, role}
  let view = null; // the current view's teardown (keyboard handlers)

  // -- small helpers --------------------------------------------------------------------------

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
      else if (name === "text") el.textContent = value;
      else el.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  // The API's sanitised HTML, parsed inert (a template runs nothing) and moved in.
  function trusted(html) {
    const template = document.createElement("template");
    template.innerHTML = html || "";
    const box = h("div", { class: "rendered" });
    box.append(template.content);
    return box;
  }

  function announce(message) {
    live.textContent = "";
    window.setTimeout(() => { live.textContent = message; }, 30);
  }

  function when(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  function store(kind) {
    try { return window[kind]; } catch { return null; }
  }

  function token() { return store("sessionStorage")?.getItem(TOKEN_KEY) || memoryToken; }
  let memoryToken = null;
  function setToken(value) {
    memoryToken = value;
    try {
      if (value) store("sessionStorage").setItem(TOKEN_KEY, value);
      else store("sessionStorage").removeItem(TOKEN_KEY);
    } catch { /* memory only */ }
  }

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || `The API answered ${status}`);
      this.status = status;
      this.problem = problem || {};
    }
  }

  async function api(method, path, body, headers) {
    const sent = { ...(headers || {}) };
    if (token()) sent.Authorization = `Bearer ${token()}`;
    if (body !== undefined) sent["Content-Type"] = "application/json";
    const reply = await fetch(API + path, {
      method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store",
    });
    const text = await reply.text();
    const data = text ? JSON.parse(text) : null;
    if (reply.status === 401 && token()) {
      sessionEnded();
      throw new ApiError(401, data);
    }
    if (!reply.ok) throw new ApiError(reply.status, data);
    return { data, etag: reply.headers.get("ETag") };
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
    const s = q.toString();
    return s ? `?${s}` : "";
  }

  function problemText(error) {
    if (!(error instanceof ApiError)) return "The API could not be reached. Try again.";
    const fields = Object.entries(error.problem.errors || {}).map(([k, v]) => `${k}: ${v.join(", ")}`);
    return [error.message, ...fields].join(" — ");
  }

  function failure(error, where) {
    const alert = h("p", { class: "error", role: "alert", text: problemText(error) });
    (where || main).prepend(alert);
    return alert;
  }

  // -- signing in and out ---------------------------------------------------------------------

  function sessionEnded() {
    setToken(null);
    me = null;
    store("sessionStorage")?.setItem(RETURN_KEY, location.hash);
    signIn("Your session has ended. Sign in again: your unsaved text is kept in this browser.");
  }

  function signIn(notice) {
    teardown();
    nav.hidden = true;
    who.replaceChildren();
    const email = h("input", { id: "email", type: "email", autocomplete: "username", required: true });
    const password = h("input", { id: "password", type: "password", autocomplete: "current-password", required: true });
    const status = h("p", { class: "error", role: "alert" });
    const form = h("form", { class: "card signin", onsubmit: async (event) => {
      event.preventDefault();
      status.textContent = "";
      try {
        const { data } = await api("POST", "/auth/login", { email: email.value, password: password.value });
        setToken(data.token);
        me = data.user;
        const back = store("sessionStorage")?.getItem(RETURN_KEY);
        store("sessionStorage")?.removeItem(RETURN_KEY);
        started(back || location.hash || "#posts");
      } catch (error) {
        status.textContent = problemText(error);
      }
    } },
      h("h1", { text: "Sign in" }),
      notice ? h("p", { class: "notice", role: "status", text: notice }) : null,
      h("label", { for: "email", text: "E-mail" }), email,
      h("label", { for: "password", text: "Password" }), password,
      h("button", { type: "submit", text: "Sign in" }), status);
    main.replaceChildren(form);
    email.focus();
    oidc().then((o) => o.console.offer(h, API, form)).catch(() => { /* no providers: the password form alone */ });
  }

  /** widget-oidc.js (sign-in with OpenID Connect), fetched when the sign-in form shows or a provider sent us back. */
  let oidcLoad = null;
  function oidc() {
    oidcLoad ||= new Promise((resolve, reject) => {
      document.head.append(h("script", { src: `${API}/widget-oidc.js`, onload: () => resolve(window.BlogComments.oidc),
        onerror: () => { oidcLoad = null; reject(new Error("widget-oidc.js")); } }));
    });
    return oidcLoad;
  }

  function signOut() {
    dropDrafts();
    // This session ends on the server too (POST /auth/sign-out), so a copy of the token is worth nothing.
    if (token()) api("POST", "/auth/sign-out").catch(() => { /* ended or unreachable: forgotten here anyway */ });
    setToken(null);
    me = null;
    store("sessionStorage")?.removeItem(RETURN_KEY);
    history.replaceState(null, "", location.pathname);
    signIn("You are signed out.");
  }

  const SECTIONS = [
    ["#posts", "Posts", "author"], ["#new", "New post", "author"], ["#queue", "Moderation", "author"],
    ["#recent", "Recent comments", "admin"], ["#audit", "Audit trail", "admin"], ["#people", "People", "admin"], ["#bans", "Bans", "admin"],
    ["#settings", "Settings", "admin"], ["#costs", "Costs", "admin"], ["#account", "Account", "author"],
  ];

  function allowed(role) {
    return me && (me.role === "admin" || (role === "author" && me.role === "author"));
  }

  function started(hash) {
    who.replaceChildren(h("span", { text: `${me.username} (${me.role})` }), " ",
      h("button", { type: "button", class: "link", onclick: signOut, text: "Sign out" }));
    nav.replaceChildren(...SECTIONS.filter(([, , role]) => allowed(role)).map(([href, label]) =>
      h("a", { href, text: label })));
    nav.hidden = me.role === "reader";
    if (location.hash !== hash) location.hash = hash; else route();
  }

  // -- routing ------------------------------------------------------------------------------

  function teardown() {
    if (view) view();
    view = null;
  }

  function route() {
    if (!me) return;
    teardown();
    const [path, raw] = location.hash.slice(1).split("?");
    const params = Object.fromEntries(new URLSearchParams(raw || ""));
    for (const link of nav.querySelectorAll("a")) {
      if (link.getAttribute("href") === `#${path.split("/")[0]}`) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    if (me.role === "reader") return nothingToDo();
    const [section, ...rest] = path.split("/");
    const views = { posts: postList, new: () => editor(null), edit: () => editor(decodeURIComponent(rest.join("/"))),
      queue: moderationQueue, recent: recentComments, audit: auditTrail, people, bans, settings, costs, account,
      thread: () => threadTools(decodeURIComponent(rest.join("/"))) };
    const entry = SECTIONS.find(([href]) => href === `#${section}`)
      || (["edit", "thread"].includes(section) ? [0, 0, "author"] : null);
    if (!entry || !allowed(entry[2])) return postList(params);
    main.replaceChildren(h("p", { text: "Loading…" }));
    views[section](params);
  }

  function nothingToDo() {
    main.replaceChildren(h("section", { class: "card" },
      h("h1", { text: "Nothing to do here" }),
      h("p", { text: "Your account is a reader's: the console is for authors and admins. " +
        "Ask an admin to make you an author, then sign in again." })));
  }

  // -- posts --------------------------------------------------------------------------------

  async function postList(params) {
    const status = params.status || "published";
    const mine = me.role !== "admin" || params.author !== undefined;
    const author = params.author || (me.role === "admin" ? "" : me.username);  // an admin: every author's
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
      me.role === "admin" ? [h("label", { for: "f-author", text: "Author" }),
        h("input", { id: "f-author", name: "author", value: author, placeholder: "everyone" })] : null,
      h("button", { type: "submit", text: "Show" }));
    const list = h("ul", { class: "posts" });
    const more = h("p");
    const heading = h("h1", { text: mine && me.role !== "admin" ? "Your posts" : "Posts" });
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
  function postSearch(list, more) {
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

  function postRow(post) {
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

  // -- the editor ----------------------------------------------------------------------------

  // Unsaved text is kept per account ("blog-console-draft:<username>:<slug>"), so a shared browser never
  // offers one author's draft to the next person; signing out forgets the account's drafts.
  function draftKey(slug) { return `${DRAFT_PREFIX}${me?.username || ""}:${slug || "new"}`; }

  function localDraft(slug) {
    try { return JSON.parse(store("localStorage")?.getItem(draftKey(slug)) || "null"); }
    catch { return null; }
  }

  function keepDraft(slug, fields) {
    try { store("localStorage")?.setItem(draftKey(slug), JSON.stringify({ ...fields, kept_at: new Date().toISOString() })); }
    catch { /* storage full or refused: the text stays on the page */ }
  }

  function dropDraft(slug) {
    try { store("localStorage")?.removeItem(draftKey(slug)); } catch { /* nothing kept */ }
  }

  /** The signed-in account's drafts, and any kept before drafts had an owner ("blog-console-draft:<slug>"). */
  function dropDrafts() {
    try {
      const storage = store("localStorage");
      const mine = `${DRAFT_PREFIX}${me?.username || ""}:`;
      for (let i = (storage?.length || 0) - 1; i >= 0; i -= 1) {
        const key = storage.key(i);
        if (key?.startsWith(mine) || (key?.startsWith(DRAFT_PREFIX) && !key.slice(DRAFT_PREFIX.length).includes(":"))) {
          storage.removeItem(key);
        }
      }
    } catch { /* nothing kept */ }
  }

  function localInputValue(iso) {
    const d = iso ? new Date(iso) : new Date(Date.now() + 3600_000);
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  async function editor(slug) {
    let post = null;
    let etag = null;
    if (slug) {
      try {
        ({ data: post, etag } = await api("GET", `/posts/${encodeURIComponent(slug)}`));
      } catch (error) {
        main.replaceChildren();
        failure(error);
        return;
      }
    }
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const f = {
      title: h("input", { id: "e-title", required: true, maxlength: "200" }),
      body: h("textarea", { id: "e-body", rows: "16", required: true }),
      summary: h("input", { id: "e-summary", maxlength: "300" }),
      labels: h("input", { id: "e-labels", list: "label-list", "aria-describedby": "e-labels-help" }),
      slug: h("input", { id: "e-slug", maxlength: "200" }),
      at: h("input", { id: "e-at", type: "datetime-local", step: "1", "aria-describedby": "e-at-help" }),
      closed: h("input", { id: "e-closed", type: "checkbox" }),
    };
    const statusChoice = (value, label) => h("label", { class: "choice" },
      h("input", { type: "radio", name: "e-status", value }), ` ${label}`);
    const statuses = h("fieldset", {}, h("legend", { text: "Status" }),
      statusChoice("draft", "Draft"), statusChoice("published", "Publish now"), statusChoice("scheduled", "Schedule"),
      h("label", { for: "e-at", text: "Publish at" }), f.at,
      h("small", { id: "e-at-help", text: `In your time zone (${zone}); stored in UTC.` }));
    const preview = h("div", { class: "preview", "aria-live": "off" });
    const message = h("div", { class: "message", role: "status" });
    const datalist = h("datalist", { id: "label-list" });
    const fill = (source) => {
      f.title.value = source.title || "";
      f.body.value = source.body || "";
      f.summary.value = source.summary || "";
      f.labels.value = (source.labels || []).join(", ");
      f.slug.value = source.slug || "";
      f.closed.checked = !!source.comments_closed;
      const status = source.status || "draft";
      for (const radio of statuses.querySelectorAll("input[type=radio]")) radio.checked = radio.value === status;
      f.at.value = localInputValue(status === "scheduled" ? source.published_at : null);
    };
    const chosenStatus = () => statuses.querySelector("input[type=radio]:checked")?.value || "draft";
    const current = () => ({
      title: f.title.value, body: f.body.value, summary: f.summary.value,
      labels: f.labels.value.split(",").map((s) => s.trim()).filter(Boolean), slug: f.slug.value.trim(),
      status: chosenStatus(), published_at: chosenStatus() === "scheduled" && f.at.value ? new Date(f.at.value).toISOString() : null,
      comments_closed: f.closed.checked,
    });
    const refresh = () => {
      f.at.disabled = chosenStatus() !== "scheduled";
    };
    fill(post || { status: "draft" });
    const saved = localDraft(slug);
    const form = h("form", { class: "editor", onsubmit: (event) => { event.preventDefault(); save(); } },
      h("h1", { text: post ? `Edit “${post.title}”` : "New post" }),
      message,
      h("div", { class: "columns" },
        h("div", { class: "fields" },
          h("label", { for: "e-title", text: "Title" }), f.title,
          h("label", { for: "e-body", text: "Body (Markdown)" }), f.body,
          h("label", { for: "e-summary", text: "Summary" }), f.summary,
          h("label", { for: "e-labels", text: "Labels" }), f.labels,
          h("small", { id: "e-labels-help", text: "Separated by commas." }), datalist,
          h("label", { for: "e-slug", text: "Slug" }), f.slug,
          statuses,
          h("label", { class: "choice" }, f.closed, " Comments closed")),
        h("section", { class: "preview-pane", "aria-labelledby": "preview-h" },
          h("h2", { id: "preview-h", text: "Preview" }), preview)),
      h("div", { class: "actions" },
        h("button", { type: "submit", class: "primary", text: "Save" }),
        post ? h("button", { type: "button", class: "danger", text: "Delete…", onclick: askDelete }) : null));
    main.replaceChildren(form);
    refresh();

    if (saved && (!post || saved.body !== post.body || saved.title !== post.title)) {
      message.replaceChildren(h("p", { class: "notice" }, `You have unsaved text for this post from ${when(saved.kept_at)}. `,
        h("button", { type: "button", text: "Restore it", onclick: () => {
          fill(saved); refresh(); message.replaceChildren(); renderPreview(); announce("Unsaved text restored.");
        } }), " ",
        h("button", { type: "button", text: "Discard it", onclick: () => { dropDraft(slug); message.replaceChildren(); } })));
    }

    let timer = null;
    let asked = 0;
    async function renderPreview() {
      const mine = ++asked;
      if (!f.body.value.trim()) { preview.replaceChildren(); return; }
      try {
        const { data } = await api("POST", "/preview", { kind: "post", body: f.body.value });
        if (mine === asked) preview.replaceChildren(trusted(data.html));
      } catch (error) {
        if (mine === asked) preview.replaceChildren(h("p", { class: "meta", text: `No preview: ${problemText(error)}` }));
      }
    }
    form.addEventListener("input", (event) => {
      keepDraft(slug, current());
      refresh();
      if (event.target === f.body) { window.clearTimeout(timer); timer = window.setTimeout(renderPreview, 500); }
    });
    if (f.body.value) renderPreview();
    let labelsLoaded = false;
    f.labels.addEventListener("focus", async () => {
      if (labelsLoaded) return;
      labelsLoaded = true;
      try {
        const { data } = await api("GET", "/labels?limit=100");
        datalist.replaceChildren(...data.items.map((l) => h("option", { value: l.label })));
      } catch { /* suggestions are a convenience */ }
    });

    async function save(overwrite) {
      const fields = current();
      // A published post may be renamed too: its old slug keeps answering, with a redirect to the new one.
      if (!fields.slug || (post && fields.slug === post.slug)) delete fields.slug;
      if (fields.status !== "scheduled") delete fields.published_at;
      if (!fields.summary) fields.summary = null;
      message.replaceChildren();
      try {
        let reply;
        if (post) {
          reply = await api("PATCH", `/posts/${encodeURIComponent(post.slug)}`, fields,
            { "If-Match": overwrite || etag || "*" });
        } else {
          reply = await api("POST", "/posts", fields, { "Idempotency-Key": crypto.randomUUID() });
        }
        dropDraft(slug);
        post = reply.data;
        etag = reply.etag;
        message.replaceChildren(h("p", { class: "ok", text: `Saved (${post.status}${post.status === "scheduled" ? `, due ${when(post.published_at)}` : ""}).` }));
        announce("Saved.");
        if (location.hash !== `#edit/${encodeURIComponent(post.slug)}`) {
          history.replaceState(null, "", `#edit/${encodeURIComponent(post.slug)}`);
        }
        slug = post.slug;
        form.querySelector("h1").textContent = `Edit “${post.title}”`;
        if (!form.querySelector(".danger")) form.querySelector(".actions").append(
          h("button", { type: "button", class: "danger", text: "Delete…", onclick: askDelete }));
        refresh();
      } catch (error) {
        if (error instanceof ApiError && error.status === 412) return conflict();
        if (error instanceof ApiError && error.status === 401) return;
        message.replaceChildren(h("p", { class: "error", role: "alert", text: problemText(error) }));
      }
    }

    async function conflict() {
      keepDraft(slug, current());
      message.replaceChildren(h("div", { class: "conflict", role: "alert" },
        h("p", { text: "Someone else changed this post since you opened it. Your text is still here and kept in this browser." }),
        h("button", { type: "button", text: "Load their version", onclick: async () => {
          const { data, etag: fresh } = await api("GET", `/posts/${encodeURIComponent(post.slug)}`);
          post = data; etag = fresh; fill(post); refresh(); renderPreview();
          message.replaceChildren(h("p", { class: "notice", text: "Their version is loaded; yours can be restored by reopening this post." }));
        } }), " ",
        h("button", { type: "button", text: "Keep my text and save over theirs", onclick: async () => {
          const { etag: fresh } = await api("GET", `/posts/${encodeURIComponent(post.slug)}`);
          etag = fresh;
          save(fresh);
        } })));
      message.querySelector("button").focus();
    }

    function askDelete() {
      const box = h("div", { class: "confirm", role: "alertdialog", "aria-labelledby": "del-q" },
        h("p", { id: "del-q", text: `Delete “${post.title}” and its comments for good?` }),
        h("button", { type: "button", class: "danger", text: "Delete for good", onclick: async () => {
          try {
            await api("DELETE", `/posts/${encodeURIComponent(post.slug)}`, undefined, { "If-Match": etag || "*" });
            dropDraft(slug);
            announce("Post deleted.");
            location.hash = "#posts";
          } catch (error) {
            if (error instanceof ApiError && error.status === 412) { box.remove(); return conflict(); }
            box.append(h("p", { class: "error", role: "alert", text: problemText(error) }));
          }
        } }), " ",
        h("button", { type: "button", text: "Keep it", onclick: () => { box.remove(); form.querySelector(".danger").focus(); } }));
      message.replaceChildren(box);
      box.querySelector("button:last-of-type").focus();
    }
  }

  // -- moderation: the queue and recent comments ----------------------------------------------

  function commentList({ title, load, actions, filters }) {
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
          if (action === "delete" && me.role === "admin") await api("DELETE", `/comments/${row.dataset.id}`);
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
    view = () => document.removeEventListener("keydown", keys);
    page("");
  }

  function moderationQueue(params) {
    const status = params.status === "spam" ? "spam" : "pending";
    const filters = h("p", { class: "tabs" },
      h("a", { href: "#queue?status=pending", "aria-current": status === "pending" ? "true" : null, text: "Pending" }), " ",
      h("a", { href: "#queue?status=spam", "aria-current": status === "spam" ? "true" : null, text: "Spam" }));
    const yours = me.role !== "admin"; // an author's queue holds their own posts' comments only
    commentList({
      title: `${status === "spam" ? "Spam" : "Held for moderation"}${yours ? " on your posts" : ""}`,
      filters,
      actions: [["approve", "Approve"], ["spam", "Spam"], ["delete", "Delete"]].filter(([a]) => !(status === "spam" && a === "spam")),
      load: async (cursor) => (await api("GET", `/moderation/comments${query({ status, cursor })}`)).data,
    });
  }

  function recentComments() {
    commentList({
      title: "Recent comments",
      actions: [["spam", "Spam"], ["delete", "Delete"]],
      load: async (cursor) => (await api("GET", `/moderation/recent${query({ cursor })}`)).data,
    });
  }

  // -- one post's thread: pin a comment, lock the thread (admins, and the post's author) ----------

  async function threadTools(slug) {
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
  }

  // -- the audit trail, people, settings -----------------------------------------------------

  async function auditTrail(params) {
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

  async function people() {
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

  // -- bans: made from a comment (queue, recent) or a person, listed and lifted -----------------

  const BAN_KINDS = { account: "their account", email: "their e-mail", address: "their address" };

  /** A "Ban…" button that opens, after itself, a form banning ``target`` (comment_id or account) by one of ``kinds``. */
  function banButton(kinds, target, whom) {
    const button = h("button", { type: "button", "aria-expanded": "false", text: "Ban…" });
    button.addEventListener("click", () => {
      const open = button.nextElementSibling?.classList.contains("ban-form");
      if (open) { button.nextElementSibling.remove(); button.setAttribute("aria-expanded", "false"); return; }
      button.after(banForm(kinds, target, whom, () => { button.setAttribute("aria-expanded", "false"); button.focus(); }));
      button.setAttribute("aria-expanded", "true");
    });
    return button;
  }

  function banForm(kinds, target, whom, closed) {
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

  async function bans() {
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

  async function settings() {
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

  // -- costs (admin): the stage's CloudWatch figures and their dollars, GET /moderation/costs ----

  const COST_FIGURES = [
    ["requests", "Requests"], ["lambda_invocations", "Lambda invocations"], ["lambda_gb_seconds", "Lambda GB-seconds"],
    ["read_units", "DynamoDB read units"], ["write_units", "DynamoDB write units"], ["mail_sent", "Mail sent"],
  ];
  const COST_DOLLARS = [["api_gateway", "API Gateway"], ["lambda", "Lambda"], ["dynamodb", "DynamoDB"],
    ["ses", "SES (mail)"], ["total", "Total"]];
  const PERIOD_NAMES = { today: "Today", "7d": "Last 7 days", month: "This month" };

  function usd(value) {
    // Cents hide a small blog's whole bill: below a cent, show millionths of a dollar.
    return value === 0 || value >= 0.01 ? `$${value.toFixed(2)}` : `$${value.toFixed(6)}`;
  }

  function amount(value) {
    return value.toLocaleString("en-US", { maximumFractionDigits: 4 });
  }

  async function costs() {
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

  // An author's own choice; PATCH /auth/me changes only what it is sent.
  function account() {
    const box = h("input", { id: "mail-held", type: "checkbox", checked: Boolean(me.mail_held_comments),
      onchange: async () => {
        box.disabled = true;
        try {
          const { data } = await api("PATCH", "/auth/me", { mail_held_comments: box.checked });
          me = data.user;
          announce(me.mail_held_comments ? "You will be e-mailed about held comments on your posts."
            : "You will no longer be e-mailed about held comments.");
        } catch (error) {
          box.checked = !box.checked;
          failure(error);
        } finally {
          box.disabled = false;
        }
      } });
    main.replaceChildren(h("h1", { text: "Account" }), h("section", { class: "card" },
      h("p", { text: `${me.username}, ${me.email}` }),
      h("p", {}, box, " ", h("label", { for: "mail-held",
        text: "E-mail me when a comment on one of my posts waits for moderation, with links to approve, spam or delete it." })),
      me.role === "admin" ? h("p", { class: "meta", text: "As an admin you are e-mailed about every held comment anyway." }) : null));
  }

  // -- start ---------------------------------------------------------------------------------

  window.addEventListener("hashchange", route);
  // The skip link moves focus without touching the address (its hash is the console's route).
  document.querySelector(".skip")?.addEventListener("click", (event) => { event.preventDefault(); main.focus(); });
  async function start() {
    if (location.hash.startsWith("#blog-oidc=")) {
      // Back from an OpenID Connect provider: the single-use hand-off leaves the address bar before anything else.
      const handoff = location.hash.slice("#blog-oidc=".length);
      history.replaceState(null, "", location.pathname);
      try {
        setToken((await (await oidc()).console.session(API, handoff)).token);
      } catch (error) {
        return signIn(error.message);
      }
    }
    if (!token()) return signIn();
    try {
      const { data } = await api("GET", "/auth/me");
      me = data.user;
      if (data.token) setToken(data.token);
      started(location.hash || "#posts");
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) signIn(problemText(error));
    }
  }
  start();
})();
