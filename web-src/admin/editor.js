/* The editor: a post's fields, its preview, drafts kept in this browser while the user writes. */

import { announce, api, ApiError, DRAFT_PREFIX, failure, main, problemText, state, store, trusted, when } from "./core.js";
import { h } from "../shared/dom.js";

// Unsaved text is kept per account ("blog-console-draft:<username>:<slug>"), so a shared browser never
// offers one author's draft to the next person; signing out forgets the account's drafts.
export function draftKey(slug) { return `${DRAFT_PREFIX}${state.me?.username || ""}:${slug || "new"}`; }

export function localDraft(slug) {
  try { return JSON.parse(store("localStorage")?.getItem(draftKey(slug)) || "null"); }
  catch { return null; }
}

export function keepDraft(slug, fields) {
  try { store("localStorage")?.setItem(draftKey(slug), JSON.stringify({ ...fields, kept_at: new Date().toISOString() })); }
  catch { /* storage full or refused: the text stays on the page */ }
}

export function dropDraft(slug) {
  try { store("localStorage")?.removeItem(draftKey(slug)); } catch { /* nothing kept */ }
}

/** The signed-in account's drafts, and any kept before drafts had an owner ("blog-console-draft:<slug>"). */
export function dropDrafts() {
  try {
    const storage = store("localStorage");
    const mine = `${DRAFT_PREFIX}${state.me?.username || ""}:`;
    for (let i = (storage?.length || 0) - 1; i >= 0; i -= 1) {
      const key = storage.key(i);
      if (key?.startsWith(mine) || (key?.startsWith(DRAFT_PREFIX) && !key.slice(DRAFT_PREFIX.length).includes(":"))) {
        storage.removeItem(key);
      }
    }
  } catch { /* nothing kept */ }
}

export function localInputValue(iso) {
  const d = iso ? new Date(iso) : new Date(Date.now() + 3600_000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export async function editor(slug) {
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
