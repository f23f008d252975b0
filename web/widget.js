/* The blog's comment widget: a placeholder element and one script tag.
 *
 *   <div id="comments"></div>
 *   <script src="https://YOUR-API/widget.js" async></script>
 *
 * Script-tag options: data-api (the API's base URL; default: where this file
 * came from), data-post (the post's slug; default: the page's last path
 * segment, without ".html"), data-sort (oldest, newest or score) and
 * data-target (a CSS selector for the placeholder; default "#comments").
 * Pages that build themselves later call BlogComments.mount(element, options).
 *
 * Safety rule: the only HTML this file ever inserts is a comment's `html`
 * field, which the API sanitised when the comment was written. Names, dates,
 * counts and messages are set as text; links are made only from http(s) URLs.
 */
(() => {
  "use strict";

  const PAGE_SIZE = 20;
  const SORTS = ["oldest", "newest", "score"];
  const SORT_NAMES = { oldest: "Oldest first", newest: "Newest first", score: "Best first" };
  const script = document.currentScript || document.querySelector('script[src$="widget.js"]');
  let instances = 0;

  // --- small helpers -------------------------------------------------------------------------

  /** An element with text, attributes and listeners; strings among the children become text nodes. */
  function h(tag, props, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "text") element.textContent = value;
      else if (name === "class") element.className = value;
      else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
      else element.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child !== null && child !== undefined && child !== false) element.append(child);
    }
    return element;
  }

  function httpUrl(raw) {
    try {
      const url = new URL(raw);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch {
      return null;
    }
  }

  function countLine(count) {
    if (count === 0) return "No comments";
    return count === 1 ? "1 comment" : `${count} comments`;
  }

  function waitText(seconds) {
    if (seconds < 90) return seconds === 1 ? "1 second" : `${seconds} seconds`;
    return `${Math.ceil(seconds / 60)} minutes`;
  }

  const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

  function randomToken() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /** localStorage, or memory for this visit where storage is refused (private windows, blocked
   * cookies): a reader's voter token and edit tokens must hold at least until they leave the page. */
  const memory = new Map();
  const storage = {
    get(key) {
      try {
        const kept = localStorage.getItem(`blog-comments:${key}`);
        if (kept !== null) return JSON.parse(kept);
      } catch {
        /* refused or unreadable: memory below */
      }
      return memory.has(key) ? memory.get(key) : null;
    },
    set(key, value) {
      memory.set(key, value);
      try {
        localStorage.setItem(`blog-comments:${key}`, JSON.stringify(value));
      } catch {
        /* kept in memory only */
      }
    },
    remove(key) {
      memory.delete(key);
      try {
        localStorage.removeItem(`blog-comments:${key}`);
      } catch {
        /* nothing stored there */
      }
    },
  };

  function voterToken() {
    let token = storage.get("voter");
    if (typeof token !== "string") {
      token = randomToken();
      storage.set("voter", token);
    }
    return token;
  }

  /** The edit token of a comment this browser wrote, while its edit window is open. */
  function editToken(id) {
    const kept = storage.get(`edit:${id}`);
    if (!kept || typeof kept.token !== "string") return null;
    if (!(Date.parse(kept.expires) > Date.now())) {
      storage.remove(`edit:${id}`);
      return null;
    }
    return kept.token;
  }

  // --- the API -------------------------------------------------------------------------------

  class Refusal extends Error {
    constructor(status, message, fields, retryAfter) {
      super(message);
      this.status = status;
      this.fields = fields || {};
      this.retryAfter = retryAfter;
    }
  }

  async function call(base, method, path, { body, headers } = {}) {
    const init = { method, headers: { ...(headers || {}) } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(base + path, init);
    } catch {
      throw new Refusal(0, "The comments server could not be reached. Check your connection and try again.");
    }
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (response.ok) return { status: response.status, data };
    const wait = Number.parseInt(response.headers.get("Retry-After") || "", 10);
    let message = (data && typeof data.detail === "string" && data.detail) || `The server answered ${response.status}.`;
    message = message.charAt(0).toUpperCase() + message.slice(1);
    if (!/[.!?]$/.test(message)) message += ".";
    if (response.status === 429 && wait > 0) {
      // The wait comes from Retry-After, whichever limit refused (rate window or a form sent too soon).
      message = `You are sending comments faster than this blog allows. Please try again in ${waitText(wait)}.`;
    }
    throw new Refusal(response.status, message, data && data.errors, wait > 0 ? wait : null);
  }

  // --- one thread ----------------------------------------------------------------------------

  const FIELD_LABELS = {
    body: "Comment",
    author_name: "Name",
    author_email: "Email",
    author_website: "Website",
  };

  class Thread {
    constructor(root, options) {
      this.root = root;
      this.base = options.api.replace(/\/+$/, "");
      this.slug = options.post;
      this.sort = SORTS.includes(options.sort) ? options.sort : "oldest";
      this.id = `bc${++instances}`;
      this.comments = new Map(); // id -> comment, as the API describes it
      this.nodes = new Map(); // id -> { item, replies }
      this.count = 0;
      this.closed = false;
      this.cursor = null;
      this.rules = null;
      this.replyTo = null;
      this.idempotencyKey = randomToken();
      this.keyFor = null; // what the current key was sent with
      this.build();
      this.load();
    }

    path(suffix = "") {
      return `/posts/${encodeURIComponent(this.slug)}${suffix}`;
    }

    // The skeleton: count line and sort, status line, thread, "load more", form.
    build() {
      this.countLine = h("h2", { class: "bc-count", id: `${this.id}-count`, text: "Loading comments…" });
      this.sorter = h("select", { id: `${this.id}-sort`, onchange: () => this.resort(this.sorter.value) },
        SORTS.map((sort) => h("option", { value: sort, selected: sort === this.sort, text: SORT_NAMES[sort] })));
      const heading = h("div", { class: "bc-heading" }, this.countLine,
        h("span", { class: "bc-sort" }, h("label", { for: this.sorter.id, text: "Sort " }), this.sorter));
      this.status = h("p", { class: "bc-status", role: "status", "aria-live": "polite" });
      this.list = h("ol", { class: "bc-thread" });
      this.more = h("button", { type: "button", class: "bc-more", hidden: true, text: "Load more comments",
        onclick: () => this.loadMore() });
      this.compose = h("div", { class: "bc-compose" });
      this.root.replaceChildren(h("section", { class: "bc", "aria-labelledby": `${this.id}-count` },
        heading, this.status, this.list, this.more, this.compose));
    }

    say(message) {
      this.status.textContent = message;
    }

    async load() {
      try {
        const form = call(this.base, "GET", this.path("/comment-form")).then(({ data }) => data, () => null);
        const page = await this.firstPage();
        this.rules = await form;
        this.renderCount();
        this.buildForm();
        this.addPage(page);
        await this.addHeld();
        this.showLinkedComment();
      } catch (error) {
        this.countLine.textContent = "Comments";
        this.say(error.status === 404 ? "There is no post here to comment on." : error.message);
      }
    }

    /** The post (its count, whether comments are closed) and the first page of comments in this order. */
    async firstPage() {
      let post;
      let page;
      if (this.sort === "oldest") {
        // One request: the post with its first comments.
        ({ data: post } = await call(this.base, "GET", this.path(`?embed=comments&comments_limit=${PAGE_SIZE}`)));
        page = { items: post.comments, next_cursor: post.comments_next_cursor };
      } else {
        const [postReply, pageReply] = await Promise.all([
          call(this.base, "GET", this.path()),
          call(this.base, "GET", this.path(`/comments?sort=${this.sort}&limit=${PAGE_SIZE}`)),
        ]);
        post = postReply.data;
        page = pageReply.data;
      }
      this.count = post.comment_count;
      this.closed = Boolean(post.comments_closed);
      return page;
    }

    /** The thread again in another order; the form, and whatever is typed in it, stays. */
    async resort(sort) {
      this.sort = sort;
      if (this.replyTo) this.cancelReply(false);
      try {
        const page = await this.firstPage();
        this.comments.clear();
        this.nodes.clear();
        this.list.replaceChildren();
        this.renderCount();
        this.addPage(page);
        await this.addHeld();
      } catch (error) {
        this.say(error.message);
      }
    }

    async loadMore() {
      if (this.more.getAttribute("aria-busy")) return;
      this.more.setAttribute("aria-busy", "true");
      try {
        const query = `?limit=${PAGE_SIZE}&sort=${this.sort}&cursor=${encodeURIComponent(this.cursor)}`;
        const { data } = await call(this.base, "GET", this.path(`/comments${query}`));
        const first = data.items.find((comment) => !this.nodes.has(comment.id));
        this.addPage(data);
        this.say("");
        // The button may now be gone: a keyboard reader continues at the first comment it brought.
        if (first) this.focusComment(first.id);
      } catch (error) {
        this.say(error.message);
      } finally {
        this.more.removeAttribute("aria-busy");
      }
    }

    /** A link to one comment (#comment-<id>, as in the feeds): the browser looked for it before it was drawn. */
    showLinkedComment() {
      const id = window.location.hash.startsWith("#comment-") ? window.location.hash.slice("#comment-".length) : null;
      if (!id || !this.nodes.has(id)) return;
      this.nodes.get(id).item.classList.add("bc-linked");
      this.nodes.get(id).item.scrollIntoView({ block: "center" });
      this.focusComment(id);
    }

    focusComment(id) {
      const item = this.nodes.get(id)?.item;
      if (!item) return;
      item.tabIndex = -1;
      item.focus();
    }

    addPage(page) {
      for (const comment of page.items) this.add(comment, false);
      this.cursor = page.next_cursor || null;
      this.more.hidden = !this.cursor;
    }

    /** This reader's comments still held for moderation: only they can see them, with their edit tokens. */
    async addHeld() {
      const held = [];
      try {
        for (let i = 0; i < localStorage.length; i += 1) {
          const key = localStorage.key(i);
          const kept = key.startsWith("blog-comments:edit:") ? storage.get(key.slice("blog-comments:".length)) : null;
          if (kept && kept.held && kept.post === this.slug) held.push(key.slice("blog-comments:edit:".length));
        }
      } catch {
        return; // no storage, so nothing held is known here
      }
      await Promise.all(held.filter((id) => !this.comments.has(id) && editToken(id)).map(async (id) => {
        try {
          const { data } = await call(this.base, "GET", `/comments/${encodeURIComponent(id)}`,
            { headers: { "X-Edit-Token": editToken(id) } });
          if (data.status === "approved") storage.set(`edit:${id}`, { ...storage.get(`edit:${id}`), held: false });
          else if (!this.comments.has(id)) this.add(data, true);
        } catch (error) {
          if (error.status === 404) storage.remove(`edit:${id}`); // deleted by a moderator
        }
      }));
    }

    renderCount() {
      this.countLine.textContent = countLine(this.count);
    }

    // --- comments in the thread ---

    add(comment, mine) {
      this.comments.set(comment.id, comment);
      const shown = this.nodes.get(comment.id);
      if (shown) {
        // One's own comment, shown when posted, met again on a later page: it moves to its place
        // in the order the pages give, and an edit box open on it stays open.
        if (!shown.item.querySelector(".bc-edit")) this.render(comment.id);
        if (!mine && shown.item.parentElement === this.list) this.list.append(shown.item);
        return;
      }
      // The id the API's feeds link to (SITE_URL/posts/<slug>#comment-<id>).
      const item = h("li", { class: "bc-comment", id: `comment-${comment.id}`, "data-id": comment.id });
      const replies = h("ol", { class: "bc-replies" });
      item.append(h("article"), replies);
      this.nodes.set(comment.id, { item, replies });
      this.render(comment.id);
      const parent = comment.parent_id && this.nodes.get(comment.parent_id);
      if (parent) parent.replies.append(item);
      else if (mine && this.sort !== "oldest") this.list.prepend(item);
      else this.list.append(item);
      // A reply can arrive before its parent (newest first): move such replies under it now.
      for (const [id, node] of this.nodes) {
        const waiting = this.comments.get(id);
        if (waiting.parent_id === comment.id && node.item.parentElement === this.list) replies.append(node.item);
      }
    }

    /** Draw a comment again; focus stays on the action it was on, or moves to ``focusAction``. */
    render(id, focusAction) {
      const comment = this.comments.get(id);
      const node = this.nodes.get(id);
      const focused = focusAction || (node.item.firstElementChild.contains(document.activeElement)
        ? document.activeElement.dataset.action : null);
      const article = this.article(comment);
      node.item.firstElementChild.replaceWith(article);
      if (focused) article.querySelector(`[data-action="${focused}"]`)?.focus();
    }

    article(comment) {
      if (comment.status === "deleted") {
        return h("article", { class: "bc-deleted" }, h("p", { text: "This comment was deleted." }));
      }
      const author = comment.author || { name: "Anonymous" };
      const website = author.website && httpUrl(author.website);
      const name = website
        ? h("a", { class: "bc-author", href: website, rel: "nofollow ugc noopener", text: author.name })
        : h("span", { class: "bc-author", text: author.name });
      const avatar = author.avatar && httpUrl(author.avatar);
      const when = h("time", { datetime: comment.created_at, text: dateFormat.format(new Date(comment.created_at)) });
      const header = h("header", { class: "bc-meta" },
        avatar ? h("img", { class: "bc-avatar", src: avatar, alt: "", width: 32, height: 32, loading: "lazy" }) : null,
        name, " ", h("a", { class: "bc-permalink", href: `#comment-${comment.id}` }, when),
        comment.edited_at ? h("span", { class: "bc-edited", text: " (edited)" }) : null);
      const body = h("div", { class: "bc-body" });
      body.innerHTML = comment.html; // sanitised by the API: the one HTML insertion in this file
      return h("article", { class: comment.status === "approved" ? "" : "bc-held" },
        header,
        comment.status === "approved" ? null : h("p", { class: "bc-pending",
          text: "Awaiting moderation: only you can see this comment until it is approved." }),
        body,
        this.actions(comment));
    }

    actions(comment) {
      const bar = h("div", { class: "bc-actions" });
      if (comment.status === "approved") {
        const mine = storage.get(`vote:${comment.id}`) || 0;
        for (const [value, symbol, label, total] of [[1, "▲", "Like", comment.likes], [-1, "▼", "Dislike", comment.dislikes]]) {
          bar.append(h("button", { type: "button", class: "bc-vote", "data-action": `vote${value}`,
            "aria-pressed": mine === value ? "true" : "false", "aria-label": `${label} (${total})`,
            onclick: (event) => this.vote(comment.id, mine === value ? 0 : value, event.currentTarget) },
          `${symbol} ${total}`));
        }
        if (this.form && comment.depth < this.rules.max_reply_depth) {
          bar.append(h("button", { type: "button", "data-action": "reply", text: "Reply",
            "aria-label": `Reply to ${comment.author ? comment.author.name : "this comment"}`,
            onclick: () => this.replyToComment(comment.id) }));
        }
      }
      if (editToken(comment.id)) {
        bar.append(
          h("button", { type: "button", "data-action": "edit", text: "Edit", onclick: () => this.editComment(comment.id) }),
          h("button", { type: "button", "data-action": "delete", text: "Delete",
            onclick: () => this.confirmDelete(comment.id) }));
      }
      return bar;
    }

    async vote(id, value, button) {
      // Not disabled while it is sent: a disabled button drops the keyboard focus.
      if (button.getAttribute("aria-busy")) return;
      button.setAttribute("aria-busy", "true");
      try {
        const { data } = await call(this.base, "POST", `/comments/${encodeURIComponent(id)}/vote`,
          { body: { value }, headers: { "X-Voter-Token": voterToken() } });
        storage.set(`vote:${id}`, value);
        this.comments.set(id, data);
        this.render(id);
      } catch (error) {
        button.removeAttribute("aria-busy");
        this.say(error.message);
      }
    }

    // --- edit and delete, while the edit window is open ---

    editComment(id) {
      const comment = this.comments.get(id);
      const article = this.nodes.get(id).item.firstElementChild;
      const field = `${this.id}-edit-${id}`;
      const text = h("textarea", { id: field, rows: 4, required: true, maxlength: this.rules?.max_length });
      text.value = comment.body;
      const error = h("p", { class: "bc-error", role: "alert" });
      const form = h("form", { class: "bc-edit", onsubmit: async (event) => {
        event.preventDefault();
        error.textContent = "";
        try {
          const { data } = await call(this.base, "PATCH", `/comments/${encodeURIComponent(id)}`,
            { body: { body: text.value }, headers: { "X-Edit-Token": editToken(id) || "" } });
          this.comments.set(id, data);
          this.render(id, "edit");
          this.say("Your comment was updated.");
        } catch (failure) {
          error.textContent = failure.fields.body ? `Comment: ${failure.fields.body.join(" ")}` : failure.message;
        }
      } },
      h("label", { for: field, text: "Edit your comment" }), text, error,
      h("div", { class: "bc-buttons" },
        h("button", { type: "submit", text: "Save" }),
        h("button", { type: "button", text: "Cancel", onclick: () => this.render(id, "edit") })));
      article.querySelector(".bc-body").replaceWith(form);
      article.querySelector(".bc-actions").hidden = true;
      text.focus();
    }

    confirmDelete(id) {
      const bar = this.nodes.get(id).item.firstElementChild.querySelector(".bc-actions");
      bar.replaceChildren(h("span", { text: "Delete this comment? " }),
        h("button", { type: "button", "data-action": "confirm-delete", text: "Yes, delete it",
          onclick: (event) => this.deleteComment(id, event.currentTarget) }),
        h("button", { type: "button", text: "Keep it", onclick: () => this.render(id, "delete") }));
      bar.querySelector("button").focus();
    }

    async deleteComment(id, button) {
      if (button.getAttribute("aria-busy")) return;
      button.setAttribute("aria-busy", "true");
      try {
        await call(this.base, "DELETE", `/comments/${encodeURIComponent(id)}`,
          { headers: { "X-Edit-Token": editToken(id) || "" } });
      } catch (error) {
        button.removeAttribute("aria-busy");
        this.say(error.message);
        return;
      }
      storage.remove(`edit:${id}`);
      // As the API does: a public comment with public replies stays as a tombstone; anything else
      // goes, and a tombstone left with no replies goes with it.
      const comment = this.comments.get(id);
      if (comment.status === "approved" && comment.reply_count > 0) {
        this.comments.set(id, { ...comment, status: "deleted", author: null, html: "" });
        this.render(id);
      } else {
        let gone = comment;
        while (gone) {
          this.remove(gone.id);
          const parent = gone.parent_id && this.comments.get(gone.parent_id);
          if (!parent || gone.status !== "approved") break;
          parent.reply_count = Math.max(0, parent.reply_count - 1);
          gone = parent.status === "deleted" && parent.reply_count === 0 ? parent : null;
        }
      }
      this.countLine.tabIndex = -1;
      this.countLine.focus();
      this.say("Your comment was deleted.");
      // Counted as the API counts (held comments never were), not read back: a cache in front
      // of the API may answer with the post as it was before the deletion.
      if (comment.status === "approved") {
        this.count = Math.max(0, this.count - 1);
        this.renderCount();
      }
    }

    remove(id) {
      const node = this.nodes.get(id);
      if (this.replyTo && node.item.contains(this.form)) this.cancelReply(false);
      node.item.remove();
      this.nodes.delete(id);
      this.comments.delete(id);
    }

    // --- "Post a Comment" ---

    buildForm() {
      if (this.closed) {
        this.compose.replaceChildren(h("p", { class: "bc-closed", text: "Comments are closed for this post." }));
        return;
      }
      if (!this.rules) {
        this.compose.replaceChildren(h("p", { class: "bc-closed", text: "The comment form could not be loaded." }));
        return;
      }
      if (!this.rules.anonymous_comments) {
        this.compose.replaceChildren(h("p", { class: "bc-closed", text: "This blog takes comments from signed-in readers only." }));
        return;
      }
      const known = storage.get("author") || {};
      // A field: its label (with a short hint such as "optional"), the control, help read after it, its error.
      const field = (name, label, control, hint, help) => {
        const id = `${this.id}-${name}`;
        control.id = id;
        control.name = name;
        const error = h("p", { class: "bc-error", id: `${id}-error` });
        const notes = help ? h("p", { class: "bc-hint bc-help", id: `${id}-help`, text: help }) : null;
        const described = [name === "body" ? `${this.id}-replying` : null, notes?.id, error.id];
        control.setAttribute("aria-describedby", described.filter(Boolean).join(" "));
        return h("div", { class: "bc-field" }, h("label", { for: id }, label,
          hint ? h("span", { class: "bc-hint", text: ` ${hint}` }) : null), control, notes, error);
      };
      const input = (type, props) => h("input", { type, ...props });
      this.replyLine = h("p", { class: "bc-replying", id: `${this.id}-replying`, hidden: true });
      this.formError = h("p", { class: "bc-error", role: "alert" });
      this.submit = h("button", { type: "submit", text: "Publish" });
      const trapName = this.rules.honeypot_field;
      this.form = h("form", { class: "bc-form", "aria-labelledby": `${this.id}-form-title`, onsubmit: (e) => this.send(e) },
        h("h3", { id: `${this.id}-form-title`, text: "Post a Comment" }),
        this.replyLine,
        field("body", "Comment", h("textarea", { rows: 5, required: true, maxlength: this.rules.max_length }),
          null, "Markdown works: *italic*, **bold**, [a link](https://…), `code`."),
        field("author_name", "Name", input("text", { maxlength: 80, autocomplete: "name", value: known.name,
          placeholder: "Anonymous" })),
        field("author_email", "Email", input("email", { maxlength: 254, autocomplete: "email", value: known.email }),
          "(optional, never shown; replies by e-mail ask you to confirm it first)"),
        field("author_website", "Website", input("url", { maxlength: 500, autocomplete: "url", value: known.website,
          placeholder: "https://" }), "(optional)"),
        h("div", { class: "bc-field bc-check" },
          input("checkbox", { id: `${this.id}-notify`, name: "notify_replies" }),
          h("label", { for: `${this.id}-notify`, text: "E-mail me when someone replies (needs your email)" })),
        // For robots only: people never see or reach this field, so a value in it marks a robot.
        h("div", { class: "bc-trap", "aria-hidden": "true" },
          h("label", { for: `${this.id}-${trapName}`, text: "Leave this empty" }),
          input("text", { id: `${this.id}-${trapName}`, name: trapName, tabindex: -1, autocomplete: "off" })),
        this.formError,
        h("div", { class: "bc-buttons" }, this.submit));
      if (this.rules.moderation !== "off") {
        this.form.insertBefore(h("p", { class: "bc-hint", text: this.rules.moderation === "all"
          ? "Comments appear after the blog's author approves them."
          : "A first comment appears after the blog's author approves it." }), this.formError);
      }
      this.compose.replaceChildren(this.form);
    }

    replyToComment(id) {
      const comment = this.comments.get(id);
      this.replyTo = id;
      this.replyLine.replaceChildren(`Replying to ${comment.author ? comment.author.name : "a comment"} `,
        h("button", { type: "button", text: "Cancel reply", onclick: () => this.cancelReply(true) }));
      this.replyLine.hidden = false;
      this.nodes.get(id).item.firstElementChild.after(this.form);
      this.form.elements.body.focus();
    }

    cancelReply(refocus) {
      const id = this.replyTo;
      this.replyTo = null;
      this.replyLine.hidden = true;
      if (this.form.parentElement !== this.compose) this.compose.append(this.form);
      if (refocus && id) this.nodes.get(id)?.item.querySelector('[data-action="reply"]')?.focus();
    }

    showErrors(error) {
      let general = error.message;
      for (const [name, messages] of Object.entries(error.fields)) {
        const slot = this.form.querySelector(`#${this.id}-${CSS.escape(name)}-error`);
        const control = this.form.elements[name];
        if (slot && control && name in FIELD_LABELS) {
          slot.textContent = `${FIELD_LABELS[name]}: ${messages.join(" ")}`;
          control.setAttribute("aria-invalid", "true");
          if (general === error.message) control.focus();
          general = "Please correct the field marked below.";
        } else {
          general = `${error.message} (${name}: ${messages.join(" ")})`;
        }
      }
      this.formError.textContent = general;
    }

    clearErrors() {
      this.formError.textContent = "";
      for (const slot of this.form.querySelectorAll(".bc-field .bc-error")) slot.textContent = "";
      for (const control of this.form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
    }

    async send(event) {
      event.preventDefault();
      this.clearErrors();
      const values = this.form.elements;
      const payload = { body: values.body.value, form_token: this.rules.form_token,
        [this.rules.honeypot_field]: values[this.rules.honeypot_field].value };
      for (const name of ["author_name", "author_email", "author_website"]) {
        const value = values[name].value.trim();
        if (value) payload[name] = value;
      }
      if (values.notify_replies.checked) payload.notify_replies = true;
      if (this.replyTo) payload.parent_id = this.replyTo;
      storage.set("author", { name: payload.author_name, email: payload.author_email, website: payload.author_website });
      if (this.submit.getAttribute("aria-busy")) return;
      // Not disabled while it is sent: a disabled button drops the keyboard focus.
      this.submit.setAttribute("aria-busy", "true");
      this.submit.textContent = "Publishing…";
      // A resend of the same words after a lost answer keeps its key, so it cannot post twice;
      // different words are a different comment.
      const fingerprint = JSON.stringify(payload);
      if (fingerprint !== this.keyFor) {
        this.idempotencyKey = randomToken();
        this.keyFor = fingerprint;
      }
      try {
        await this.post(payload, true);
      } catch (error) {
        this.showErrors(error);
      } finally {
        this.submit.removeAttribute("aria-busy");
        this.submit.textContent = "Publish";
      }
    }

    async post(payload, mayRenewForm) {
      let reply;
      try {
        reply = await call(this.base, "POST", this.path("/comments"),
          { body: payload, headers: { "Idempotency-Key": this.idempotencyKey } });
      } catch (error) {
        // The server answered, so this attempt is settled: the next one gets a new key.
        if (error.status !== 0 && error.status < 500) this.keyFor = null;
        if (mayRenewForm && error.fields.form_token) {
          // A form left open past its token's life: fetch a new token, let it come of age, send once more.
          ({ data: this.rules } = await call(this.base, "GET", this.path("/comment-form")));
          await new Promise((resolve) => { setTimeout(resolve, this.rules.min_seconds * 1000); });
          this.keyFor = null;
          this.idempotencyKey = randomToken();
          return this.post({ ...payload, form_token: this.rules.form_token }, false);
        }
        throw error;
      }
      this.keyFor = null;
      const { comment } = reply.data;
      storage.set(`edit:${comment.id}`, { token: reply.data.edit_token, expires: reply.data.edit_token_expires_at,
        post: this.slug, held: comment.status !== "approved" });
      const parent = this.replyTo;
      this.cancelReply(false);
      this.form.elements.body.value = "";
      this.add(comment, true);
      const answered = parent && this.comments.get(parent);
      if (reply.status === 201 && answered) answered.reply_count += 1;
      if (reply.status === 201) {
        this.count += 1;
        this.renderCount();
        this.say("Your comment was published.");
      } else {
        this.say("Thank you. Your comment is awaiting moderation.");
      }
      if (parent) this.nodes.get(parent)?.item.querySelector('[data-action="reply"]')?.focus();
      return comment;
    }
  }

  // --- mounting ------------------------------------------------------------------------------

  function slugFromPage() {
    const last = window.location.pathname.split("/").filter(Boolean).pop() || "";
    let slug = last;
    try {
      slug = decodeURIComponent(last);
    } catch {
      /* a malformed %-escape: the raw segment, which names no post */
    }
    return slug.replace(/\.html?$/, "");
  }

  function stylesheet(base) {
    if (document.querySelector("link[data-blog-comments]")) return;
    document.head.append(h("link", { rel: "stylesheet", href: `${base}/widget.css`, "data-blog-comments": true }));
  }

  const defaults = {
    api: script ? new URL(".", script.src).href : window.location.origin,
    post: script?.dataset.post || null,
    sort: script?.dataset.sort || "oldest",
  };
  if (script?.dataset.api) defaults.api = new URL(script.dataset.api, window.location.href).href;

  function mount(element, options = {}) {
    const settings = { ...defaults, ...options };
    settings.post = settings.post || slugFromPage();
    stylesheet(settings.api.replace(/\/+$/, ""));
    return new Thread(element, settings);
  }

  window.BlogComments = { mount };

  function autoMount() {
    const target = document.querySelector(script?.dataset.target || "#comments");
    if (target && !target.dataset.blogCommentsManual) mount(target);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", autoMount);
  else autoMount();
})();
