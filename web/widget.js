/* The blog's comment widget: a placeholder element and one script tag.
 *
 *   <div id="comments"></div>
 *   <script src="https://YOUR-API/widget.js" async></script>
 *
 * Script-tag options: data-api (the API's base URL; default: where this file
 * came from), data-post (the post's slug; default: the page's last path
 * segment, without ".html"), data-sort (oldest, newest or score),
 * data-target (a CSS selector for the placeholder; default "#comments"),
 * data-lang (default: the page's <html lang>, else the browser's languages)
 * and data-theme (light, dark or auto; default: the page's own colours).
 * Pages that build themselves later call BlogComments.mount(element, options).
 *
 * Words: English is built in (EN below); another language's catalogue is
 * fetched from /i18n/<lang>.json when a page needs it, with the same keys.
 * A plural message maps Intl.PluralRules categories (and "0") to texts.
 *
 * Safety rule: the only HTML this file ever inserts is a comment's `html`
 * field, which the API sanitised when the comment was written, and the
 * preview's `html`, which the API sanitised the same way just now. Names,
 * dates, counts and messages are set as text; links are made only from
 * http(s) URLs.
 */
(() => {
  "use strict";

  // A thread of up to this many comments comes in one request (the API's largest thread page):
  // one cacheable answer instead of a chain of small pages, each waiting for the one before.
  const PAGE_SIZE = 300;
  const SORTS = ["oldest", "newest", "score"];
  const FIELDS = ["body", "author_name", "author_email", "author_website"];
  const EN = {
    count: { 0: "No comments", one: "{n} comment", other: "{n} comments" },
    comments: "Comments",
    loading: "Loading comments…",
    sort: "Sort",
    oldest: "Oldest first",
    newest: "Newest first",
    score: "Best first",
    more: "Load more comments",
    unreachable: "The comments server could not be reached. Check your connection and try again.",
    answered: "The server answered {status}.",
    tooFast: "You are sending comments faster than this blog allows. Please try again in {wait}.",
    noPost: "There is no post here to comment on.",
    deleted: "This comment was deleted.",
    anonymous: "Anonymous",
    edited: "(edited)",
    pinned: "Pinned",
    pending: "Awaiting moderation: only you can see this comment until it is approved.",
    like: "Like: {n}",
    dislike: "Dislike: {n}",
    reactions: "Reactions",
    react: "{emoji} {n}: react",
    reply: "Reply",
    replyTo: "Reply to {name}",
    replyToComment: "Reply to this comment",
    edit: "Edit",
    delete: "Delete",
    updated: "Your comment was updated.",
    editLabel: "Edit your comment",
    save: "Save",
    cancel: "Cancel",
    confirmDelete: "Delete this comment?",
    yesDelete: "Yes, delete it",
    keep: "Keep it",
    wasDeleted: "Your comment was deleted.",
    closed: "Comments are closed for this post.",
    noForm: "The comment form could not be loaded.",
    signedInOnly: "This blog takes comments from signed-in readers only.",
    publish: "Publish",
    publishing: "Publishing…",
    formTitle: "Post a Comment",
    body: "Comment",
    author_name: "Name",
    author_email: "Email",
    author_website: "Website",
    markdown: "Markdown works: *italic*, **bold**, [a link](https://…), `code`.",
    emailHint: "(optional, never shown; replies by e-mail ask you to confirm it first)",
    optional: "(optional)",
    notify: "E-mail me when someone replies (needs your email)",
    trap: "Leave this empty",
    modAll: "Comments appear after the blog's author approves them.",
    modFirst: "A first comment appears after the blog's author approves it.",
    replyingTo: "Replying to {name}",
    replyingToComment: "Replying to a comment",
    cancelReply: "Cancel reply",
    fixField: "Please correct the field marked below.",
    published: "Your comment was published.",
    held: "Thank you. Your comment is awaiting moderation.",
    write: "Write",
    preview: "Preview",
    previewEmpty: "Nothing to preview yet.",
    previewing: "Loading preview…",
    fieldError: "{field}: {message}",
    challenge: "Confirm you are a person",
    challengeNeeded: "Please complete the check above the Publish button, then publish again.",
    challengeFailed: "The check could not be loaded or completed. Please try again.",
    signInByMail: "Sign in by e-mail",
    verified: "verified",
    subscribe: "Follow this discussion by e-mail",
    subscribeAsked: "To follow this discussion, confirm with the link we sent to {email}.",
    fresh: { one: "{n} new comment", other: "{n} new comments" },
  };
  // The languages with a catalogue (web/i18n/), and those written right to left.
  const LANGS = ["en", "ar", "de", "es", "fr", "he", "ja", "pt", "ru", "zh"];
  const RTL = ["ar", "he"];
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

  // --- words: the language, its catalogue, plurals, numbers and dates ---------------------------

  /** The first wish (data-lang, <html lang>, the browser's) the widget speaks: [catalogue, locale]. */
  function pickLanguage(wishes) {
    for (const wish of wishes) {
      const tag = String(wish || "").replace(/_/g, "-");
      const lang = tag.toLowerCase().split("-")[0];
      if (!LANGS.includes(lang)) continue;
      try {
        return [lang, Intl.getCanonicalLocales(tag)[0]];
      } catch {
        return [lang, lang]; // a malformed region or script: the language alone
      }
    }
    return ["en", "en"];
  }

  const catalogues = new Map();

  /** A language's messages, fetched once per page (English needs no request); English if it fails. */
  function catalogue(base, lang) {
    if (lang === "en") return Promise.resolve(EN);
    const key = `${base}|${lang}`;
    if (!catalogues.has(key)) {
      catalogues.set(key, fetch(`${base}/i18n/${lang}.json`)
        .then((response) => (response.ok ? response.json() : EN))
        .catch(() => EN));
    }
    return catalogues.get(key);
  }

  /** t(key, values): a message in one language, its {names} filled, a plural chosen by values.n. */
  function words(lang, locale, messages) {
    const plural = new Intl.PluralRules(locale);
    const number = new Intl.NumberFormat(locale);
    const dates = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
    const relative = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
    const t = (key, values = {}) => {
      let text = messages[key] ?? EN[key];
      if (typeof text === "object") text = (values.n === 0 && text[0]) || text[plural.select(values.n)] || text.other;
      return text.replace(/\{(\w+)\}/g, (_, name) => (typeof values[name] === "number"
        ? number.format(values[name]) : String(values[name] ?? "")));
    };
    t.lang = lang;
    t.locale = locale;
    t.number = (n) => number.format(n);
    t.date = (iso) => dates.format(new Date(iso));
    // "3 hours ago" for the last four weeks, the date after that.
    t.ago = (iso) => {
      let seconds = (Date.parse(iso) - Date.now()) / 1000;
      for (const [unit, size] of [["second", 60], ["minute", 60], ["hour", 24], ["day", 28]]) {
        if (Math.abs(seconds) < size) return relative.format(Math.round(seconds), unit);
        seconds /= size;
      }
      return t.date(iso);
    };
    t.wait = (seconds) => new Intl.NumberFormat(locale, { style: "unit", unitDisplay: "long",
      unit: seconds < 90 ? "second" : "minute" }).format(seconds < 90 ? seconds : Math.ceil(seconds / 60));
    return t;
  }

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

  // --- the challenge (Turnstile or hCaptcha), loaded only when the server asks for it ------------

  // Each provider's script and global, and where it takes the widget's language: Turnstile as render()'s
  // `language` (with the `action` the server checks), hCaptcha as the script's `hl`.
  const PROVIDERS = {
    turnstile: { script: "https://challenges.cloudflare.com/turnstile/v0/api.js", global: "turnstile",
      query: () => ({}), options: (lang) => ({ language: lang === "zh" ? "zh-cn" : lang, action: "comment" }) },
    hcaptcha: { script: "https://js.hcaptcha.com/1/api.js", global: "hcaptcha",
      query: (lang) => ({ hl: lang === "zh" ? "zh-CN" : lang }), options: () => ({}) },
  };
  const providerScripts = new Map(); // provider -> Promise of its API, loaded once per page

  /** The provider's API, its script added to the page once (rendered by the widget: render=explicit). */
  function challengeApi(name, lang) {
    const provider = PROVIDERS[name];
    if (!providerScripts.has(name)) {
      providerScripts.set(name, new Promise((resolve, reject) => {
        // The documented way to learn the script is ready: a global function named by ?onload=.
        const ready = `bcChallengeReady_${name}`;
        window[ready] = () => resolve(window[provider.global]);
        const url = new URL(provider.script);
        url.searchParams.set("render", "explicit");
        url.searchParams.set("onload", ready);
        for (const [name, value] of Object.entries(provider.query(lang))) url.searchParams.set(name, value);
        document.head.append(h("script", { src: url.href, async: true, onerror: () => {
          providerScripts.delete(name);
          reject(new Error("the challenge's script could not be loaded"));
        } }));
      }));
    }
    return providerScripts.get(name);
  }

  // --- the reader's sign-in -------------------------------------------------------------------

  /** The signed-in reader ({token, username, email}): in sessionStorage, where the console keeps its own
   * token (not localStorage: it ends with the tab, and nothing else on a shared browser finds it later),
   * or in memory where storage is refused. */
  const SESSION_KEY = "blog-comments-session";
  let memorySession = null;
  function readerSession() {
    try {
      return JSON.parse(sessionStorage.getItem(SESSION_KEY)) || memorySession;
    } catch {
      return memorySession; // refused or unreadable
    }
  }

  function setReaderSession(value) {
    memorySession = value;
    try {
      sessionStorage.removeItem(SESSION_KEY);
      if (value) sessionStorage.setItem(SESSION_KEY, JSON.stringify(value));
    } catch {
      /* memory only */
    }
    window.dispatchEvent(new Event("blog-comments:session"));
  }

  /** A mailed sign-in link leads back here as #blog-signin=<token>: taken out of the address bar (and so
   * out of the history and of any link copied from it) before anything else runs, and used once. */
  const SIGN_IN_FRAGMENT = "#blog-signin=";
  let linkToken = null;
  if (window.location.hash.startsWith(SIGN_IN_FRAGMENT)) {
    try {
      linkToken = decodeURIComponent(window.location.hash.slice(SIGN_IN_FRAGMENT.length));
    } catch {
      linkToken = null;
    }
    history.replaceState(history.state, "", window.location.pathname + window.location.search);
  }

  // Back from an OpenID Connect provider (widget-oidc.js): #blog-oidc=<hand-off>, taken out the same way.
  const OIDC_FRAGMENT = "#blog-oidc=";
  let oidcHandoff = null;
  if (window.location.hash.startsWith(OIDC_FRAGMENT)) {
    oidcHandoff = window.location.hash.slice(OIDC_FRAGMENT.length);
    history.replaceState(history.state, "", window.location.pathname + window.location.search);
  }

  /** widget-account.js, fetched once from where this file came, the first time a reader needs it. */
  let accountLoad = null;
  function accountScript(base) {
    accountLoad ||= new Promise((resolve, reject) => {
      document.head.append(h("script", { src: `${base}/widget-account.js`, async: true,
        onload: () => resolve(window.BlogComments.account),
        onerror: () => { accountLoad = null; reject(new Error("widget-account.js")); } }));
    });
    return accountLoad;
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

  async function call(t, base, method, path, { body, headers } = {}) {
    const init = { method, headers: { ...(headers || {}) } };
    // Reads stay anonymous (and cacheable); what a reader writes is signed with their token.
    const signed = method !== "GET" && readerSession();
    if (signed) init.headers.Authorization = `Bearer ${signed.token}`;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(base + path, init);
    } catch {
      throw new Refusal(0, t("unreachable"));
    }
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (response.ok) return { status: response.status, data };
    if (response.status === 401 && signed) setReaderSession(null); // revoked or expired: signed out here too
    const wait = Number.parseInt(response.headers.get("Retry-After") || "", 10);
    // The server's own detail is English; the widget's texts around it are in the page's language.
    let message = (data && typeof data.detail === "string" && data.detail) || t("answered", { status: response.status });
    message = message.charAt(0).toUpperCase() + message.slice(1);
    if (!/[.!?]$/.test(message)) message += ".";
    if (response.status === 429 && wait > 0) {
      // The wait comes from Retry-After, whichever limit refused (rate window or a form sent too soon).
      message = t("tooFast", { wait: t.wait(wait) });
    }
    throw new Refusal(response.status, message, data && data.errors, wait > 0 ? wait : null);
  }

  // --- one thread ----------------------------------------------------------------------------

  class Thread {
    constructor(root, options) {
      this.root = root;
      this.base = options.api.replace(/\/+$/, "");
      this.slug = options.post;
      this.asked = options.post; // the slug the page names, which may be an old one of a renamed post
      this.sort = SORTS.includes(options.sort) ? options.sort : "oldest";
      this.id = `bc${++instances}`;
      this.comments = new Map(); // id -> comment, as the API describes it
      this.nodes = new Map(); // id -> { item, replies }
      this.count = 0;
      this.closed = false;
      this.pinned = null; // the thread's pinned comment, shown first
      this.cursor = null;
      this.rules = null; // the form's rules, which come with the post
      this.token = null; // the form token's request, made when the reader starts to write
      this.challenge = null; // the provider's check, while this reader needs one (showChallenge)
      this.replyTo = null;
      this.idempotencyKey = randomToken();
      this.keyFor = null; // what the current key was sent with
      this.theme = options.theme;
      // The longest wait between two looks for new comments (0 or not a number: never look; at least 1 s).
      this.liveMax = options.live > 0 && Math.max(options.live, 1) * 1000;
      this.start(options.lang);
    }

    async start(wishes) {
      const [lang, locale] = pickLanguage(wishes);
      this.t = words(lang, locale, await catalogue(this.base, lang));
      this.build();
      this.load();
    }

    call(method, path, options) {
      return call(this.t, this.base, method, path, options);
    }

    path(suffix = "") {
      return `/posts/${encodeURIComponent(this.slug)}${suffix}`;
    }

    // The skeleton: count line and sort, status line, thread, "load more", form.
    build() {
      const t = this.t;
      this.countLine = h("h2", { class: "bc-count", id: `${this.id}-count`, text: t("loading") });
      this.sorter = h("select", { id: `${this.id}-sort`, onchange: () => this.resort(this.sorter.value) },
        SORTS.map((sort) => h("option", { value: sort, selected: sort === this.sort, text: t(sort) })));
      const heading = h("div", { class: "bc-heading" }, this.countLine,
        h("span", { class: "bc-sort" }, h("label", { for: this.sorter.id, text: `${t("sort")} ` }), this.sorter));
      this.status = h("p", { class: "bc-status", role: "status", "aria-live": "polite" });
      this.list = h("ol", { class: "bc-thread" });
      this.more = h("button", { type: "button", class: "bc-more", hidden: true, text: t("more"),
        onclick: () => this.loadMore() });
      this.compose = h("div", { class: "bc-compose" });
      this.fresh = h("button", { type: "button", class: "bc-fresh", hidden: true, onclick: () => this.showFresh() });
      this.postBar = h("div", { class: "bc-post-reactions" });
      this.section = h("section", { class: "bc", "aria-labelledby": `${this.id}-count`, lang: t.locale,
        dir: RTL.includes(t.lang) ? "rtl" : "ltr" }, heading, this.postBar, this.status, this.list,
        h("div", { class: "bc-live", "aria-live": "polite" }, this.fresh), this.more, this.compose);
      themed(this.section, this.theme);
      this.root.replaceChildren(this.section);
    }

    say(message) {
      this.status.textContent = message;
    }

    async load() {
      try {
        const page = await this.firstPage();
        this.renderCount();
        this.buildForm();
        this.addAccount();
        this.addPage(page);
        await this.addHeld();
        this.showLinkedComment();
        this.goLive();
      } catch (error) {
        this.countLine.textContent = this.t("comments");
        this.say(error.status === 404 ? this.t("noPost") : error.message);
      }
    }

    /** The post (its count, whether comments are closed) and the first page of comments in this order. */
    async firstPage() {
      let post;
      let page;
      if (this.sort === "oldest") {
        // One request: the post with its first comments and the form's rules.
        ({ data: post } = await this.call("GET", this.path(`?embed=comments&comments_limit=${PAGE_SIZE}`)));
        page = { items: post.comments, next_cursor: post.comments_next_cursor };
      } else {
        // The form's rules come only with embedded comments: one is enough here.
        const [postReply, pageReply] = await Promise.all([
          this.call("GET", this.path("?embed=comments&comments_limit=1")),
          this.call("GET", this.path(`/comments?sort=${this.sort}&limit=${PAGE_SIZE}`)),
        ]);
        post = postReply.data;
        page = pageReply.data;
      }
      // A renamed post answers its old slug with a redirect, which fetch follows: from now on the
      // widget reads and writes under the slug the post has now (one request, not a redirect, each time).
      if (post.slug) this.slug = post.slug;
      this.rules = post.comment_form || null;
      this.postReactions = post.reactions || {};
      this.renderPostReactions();
      this.count = post.comment_count;
      this.closed = Boolean(post.comments_closed); // by its author, its age, or a moderator's lock
      this.pinned = post.pinned_comment || null; // read with the post: drawn first, whatever its page
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
        const { data } = await this.call("GET", this.path(`/comments${query}`));
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
      if (this.pinned && !this.nodes.has(this.pinned.id)) this.add(this.pinned, false);
      for (const comment of page.items) this.add(comment, false);
      this.cursor = page.next_cursor || null;
      this.more.hidden = !this.cursor;
    }

    /** This reader's comments still held for moderation: only they can see them, with their edit tokens.
     * Also one published as they were told but missing from a thread shown whole: the server shows it to
     * them alone (a shadow-ban), or it was deleted (404: forgotten here). */
    async addHeld() {
      const held = [];
      try {
        for (let i = 0; i < localStorage.length; i += 1) {
          const key = localStorage.key(i);
          const kept = key.startsWith("blog-comments:edit:") ? storage.get(key.slice("blog-comments:".length)) : null;
          const ours = kept && (kept.post === this.slug || kept.post === this.asked);
          if (ours && (kept.held || !this.cursor)) held.push(key.slice("blog-comments:edit:".length));
        }
      } catch {
        return; // no storage, so nothing held is known here
      }
      await Promise.all(held.filter((id) => !this.comments.has(id) && editToken(id)).map(async (id) => {
        try {
          const { data } = await this.call("GET", `/comments/${encodeURIComponent(id)}`,
            { headers: { "X-Edit-Token": editToken(id) } });
          if (data.status === "approved") storage.set(`edit:${id}`, { ...storage.get(`edit:${id}`), held: false });
          if ((data.status !== "approved" || !this.cursor) && !this.comments.has(id)) this.add(data, true);
        } catch (error) {
          if (error.status === 404) storage.remove(`edit:${id}`); // deleted by a moderator
        }
      }));
    }

    renderCount() {
      this.countLine.textContent = this.t("count", { n: this.count });
    }

    // --- live thread: new comments from the same cacheable read, polled while the page is seen ---

    /** Look again every few seconds while the tab is visible, less often while nothing changes, never
     * while it is hidden; a cache answers most looks with a 304 (docs/live-threads.md). */
    goLive() {
      // Off, or a thread longer than one read: not followed.
      if (!this.liveMax || this.cursor) return;
      this.queued = new Map();
      // The bar's place is kept from now on, so that its coming moves nothing on the page.
      this.fresh.parentElement.classList.add("bc-on");
      // A third of it after a look that found something, growing back while none do.
      this.wait = this.liveMax;
      // Hidden: the pending look is cancelled. Shown again: a look at once.
      document.addEventListener("visibilitychange", () => this.nextLook(0));
      this.nextLook();
    }

    nextLook(delay = this.wait) {
      clearTimeout(this.timer);
      if (!document.hidden) this.timer = setTimeout(() => this.look(), delay);
    }

    async look() {
      const before = this.queued.size;
      try {
        const { data } = await this.call("GET", this.path(`?embed=comments&comments_limit=${PAGE_SIZE}`));
        // While this reader's own comment is being sent, the answer may hold it before the widget does.
        if (!this.submit?.getAttribute("aria-busy")) for (const c of data.comments) this.queued.set(c.id, c);
      } catch {
        /* offline for a moment: the next look tries again */
      }
      for (const id of this.queued.keys()) if (this.comments.has(id)) this.queued.delete(id);
      const n = this.queued.size;
      // Said again only when it changes: a live region may repeat text that is merely set again.
      if (n !== before) this.fresh.textContent = n ? this.t("fresh", { n }) : "";
      this.fresh.hidden = !n;
      this.wait = n > before ? this.liveMax / 3 : Math.min(this.liveMax, this.wait * 1.5);
      this.nextLook();
    }

    /** The reader asked: the queued comments take their places, replies under their parents. */
    showFresh() {
      const shown = [...this.queued.values()].filter((c) => !this.comments.has(c.id));
      this.queued.clear();
      this.fresh.hidden = true;
      for (const comment of shown) this.add(comment, this.sort !== "oldest");
      this.count += shown.length;
      this.renderCount();
      if (shown[0]) this.focusComment(shown[0].id);
    }

    // --- comments in the thread ---

    add(comment, mine) {
      this.comments.set(comment.id, comment);
      const shown = this.nodes.get(comment.id);
      if (shown) {
        // One's own comment, shown when posted, met again on a later page: it moves to its place
        // in the order the pages give, and an edit box open on it stays open.
        if (!shown.item.querySelector(".bc-edit")) this.render(comment.id);
        const atTop = this.isPinned(comment.id); // the pinned comment stays first when its page arrives
        if (!mine && !atTop && shown.item.parentElement === this.list) this.list.append(shown.item);
        return;
      }
      // The id the API's feeds link to (SITE_URL/posts/<slug>#comment-<id>).
      const item = h("li", { class: this.isPinned(comment.id) ? "bc-comment bc-pinned" : "bc-comment",
        id: `comment-${comment.id}`, "data-id": comment.id });
      const replies = h("ol", { class: "bc-replies" });
      item.append(h("article"), replies);
      this.nodes.set(comment.id, { item, replies });
      this.render(comment.id);
      const parent = comment.parent_id && this.nodes.get(comment.parent_id);
      if (parent) parent.replies.append(item);
      else if (this.isPinned(comment.id)) this.list.prepend(item); // its replies follow it there
      else if (mine && this.sort !== "oldest") this.list.prepend(item);
      else this.list.append(item);
      // A reply can arrive before its parent (newest first): move such replies under it now.
      for (const [id, node] of this.nodes) {
        const waiting = this.comments.get(id);
        if (waiting.parent_id === comment.id && node.item.parentElement === this.list) replies.append(node.item);
      }
    }

    isPinned(id) {
      return Boolean(this.pinned && this.pinned.id === id);
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
        return h("article", { class: "bc-deleted" }, h("p", { text: this.t("deleted") }));
      }
      const t = this.t;
      const author = comment.author || { name: t("anonymous") };
      const website = author.website && httpUrl(author.website);
      const name = website
        ? h("a", { class: "bc-author", href: website, rel: "nofollow ugc noopener", text: author.name })
        : h("span", { class: "bc-author", text: author.name });
      const avatar = author.avatar && httpUrl(author.avatar);
      const when = h("time", { datetime: comment.created_at, title: t.date(comment.created_at),
        text: t.ago(comment.created_at) });
      const header = h("header", { class: "bc-meta" },
        // Text, not only an icon: read out as the first word of the comment.
        this.isPinned(comment.id) ? h("span", { class: "bc-pin-mark", text: t("pinned") }) : null,
        avatar ? h("img", { class: "bc-avatar", src: avatar, alt: "", width: 32, height: 32, loading: "lazy" }) : null,
        name, author.verified ? this.verifiedMark() : null, " ",
        h("a", { class: "bc-permalink", href: `#comment-${comment.id}` }, when),
        comment.edited_at ? h("span", { class: "bc-edited", text: ` ${t("edited")}` }) : null);
      const body = h("div", { class: "bc-body" });
      body.innerHTML = comment.html; // sanitised by the API: the one HTML insertion in this file
      return h("article", { class: comment.status === "approved" ? "" : "bc-held" },
        header,
        comment.status === "approved" ? null : h("p", { class: "bc-pending",
          text: t("pending") }),
        body,
        this.actions(comment));
    }

    actions(comment) {
      const t = this.t;
      const bar = h("div", { class: "bc-actions" });
      if (comment.status === "approved") {
        const mine = storage.get(`vote:${comment.id}`) || 0;
        // The arrow is drawn by the style sheet (no text of its own), so the visible text, the count, is part
        // of the accessible name "Like: 3" (WCAG 2.5.3, label in name; axe ignores what is in parentheses).
        for (const [value, label, total] of [[1, "like", comment.likes], [-1, "dislike", comment.dislikes]]) {
          bar.append(h("button", { type: "button", class: "bc-vote", "data-action": `vote${value}`,
            "aria-pressed": mine === value ? "true" : "false", "aria-label": t(label, { n: total }),
            onclick: (event) => this.vote(comment.id, mine === value ? 0 : value, event.currentTarget) },
          `${total}`));
        }
        bar.append(this.reactionButtons(comment.id, comment.reactions));
        if (this.form && comment.depth < this.rules.max_reply_depth) {
          bar.append(h("button", { type: "button", "data-action": "reply", text: t("reply"),
            "aria-label": comment.author ? t("replyTo", { name: comment.author.name }) : t("replyToComment"),
            onclick: () => this.replyToComment(comment.id) }));
        }
      }
      if (editToken(comment.id)) {
        bar.append(
          h("button", { type: "button", "data-action": "edit", text: t("edit"), onclick: () => this.editComment(comment.id) }),
          h("button", { type: "button", "data-action": "delete", text: t("delete"),
            onclick: () => this.confirmDelete(comment.id) }));
      }
      return bar;
    }

    async vote(id, value, button) {
      // Not disabled while it is sent: a disabled button drops the keyboard focus.
      if (button.getAttribute("aria-busy")) return;
      button.setAttribute("aria-busy", "true");
      try {
        const { data } = await this.call("POST", `/comments/${encodeURIComponent(id)}/vote`,
          { body: { value }, headers: { "X-Voter-Token": voterToken() } });
        storage.set(`vote:${id}`, value);
        this.comments.set(id, data);
        this.render(id);
      } catch (error) {
        button.removeAttribute("aria-busy");
        this.say(error.message);
      }
    }

    // --- reactions: one button per kind of the stage's set, on the post and on each comment ---

    renderPostReactions() {
      const focused = this.postBar.contains(document.activeElement) ? document.activeElement.dataset.action : null;
      this.postBar.replaceChildren(this.reactionButtons(`post:${this.slug}`, this.postReactions));
      if (focused) this.postBar.querySelector(`[data-action="${focused}"]`)?.focus();
    }

    /** The kinds as buttons: the emoji and its count shown, and the same first in the accessible name. */
    reactionButtons(target, counts = {}) {
      const kinds = this.rules?.reactions || [];
      if (!kinds.length) return null;
      const mine = storage.get(`react:${target}`) || [];
      return h("span", { class: "bc-reactions", role: "group", "aria-label": this.t("reactions") },
        kinds.map((emoji, i) => {
          const n = counts[emoji] || 0;
          return h("button", { type: "button", class: "bc-react", "data-action": `react${i}`,
            "aria-pressed": mine.includes(emoji) ? "true" : "false", "aria-label": this.t("react", { emoji, n }),
            onclick: (event) => this.react(target, emoji, !mine.includes(emoji), event.currentTarget) },
          `${emoji} ${this.t.number(n)}`);
        }));
    }

    async react(target, emoji, active, button) {
      if (button.getAttribute("aria-busy")) return;
      button.setAttribute("aria-busy", "true");
      const onPost = target.startsWith("post:");
      try {
        const { data } = await this.call("POST", onPost ? this.path("/reactions")
          : `/comments/${encodeURIComponent(target)}/reactions`,
        { body: { emoji, active }, headers: { "X-Voter-Token": voterToken() } });
        const mine = (storage.get(`react:${target}`) || []).filter((kind) => kind !== emoji);
        storage.set(`react:${target}`, active ? [...mine, emoji] : mine);
        if (onPost) {
          this.postReactions = data.reactions;
          this.renderPostReactions();
        } else {
          this.comments.set(target, data);
          this.render(target);
        }
      } catch (error) {
        button.removeAttribute("aria-busy");
        this.say(error.message);
      }
    }

    // --- edit and delete, while the edit window is open ---

    async editComment(id) {
      let comment = this.comments.get(id);
      if (typeof comment.body !== "string") {
        // Public lists carry no Markdown source: the comment's author reads it with the edit token.
        try {
          ({ data: comment } = await this.call("GET", `/comments/${encodeURIComponent(id)}`,
            { headers: { "X-Edit-Token": editToken(id) || "" } }));
        } catch (error) {
          this.say(error.message);
          return;
        }
        this.comments.set(id, comment);
      }
      const article = this.nodes.get(id).item.firstElementChild;
      const field = `${this.id}-edit-${id}`;
      const text = h("textarea", { id: field, rows: 4, required: true, maxlength: this.rules?.max_length });
      text.value = comment.body;
      const error = h("p", { class: "bc-error", role: "alert" });
      const form = h("form", { class: "bc-edit", onsubmit: async (event) => {
        event.preventDefault();
        error.textContent = "";
        try {
          const { data } = await this.call("PATCH", `/comments/${encodeURIComponent(id)}`,
            { body: { body: text.value }, headers: { "X-Edit-Token": editToken(id) || "" } });
          this.comments.set(id, data);
          this.render(id, "edit");
          this.say(this.t("updated"));
        } catch (failure) {
          error.textContent = failure.fields.body ? this.fieldError("body", failure.fields.body) : failure.message;
        }
      } },
      h("label", { for: field, text: this.t("editLabel") }), text, error,
      h("div", { class: "bc-buttons" },
        h("button", { type: "submit", text: this.t("save") }),
        h("button", { type: "button", text: this.t("cancel"), onclick: () => this.render(id, "edit") })));
      article.querySelector(".bc-body").replaceWith(form);
      article.querySelector(".bc-actions").hidden = true;
      text.focus();
    }

    confirmDelete(id) {
      const bar = this.nodes.get(id).item.firstElementChild.querySelector(".bc-actions");
      bar.replaceChildren(h("span", { text: `${this.t("confirmDelete")} ` }),
        h("button", { type: "button", "data-action": "confirm-delete", text: this.t("yesDelete"),
          onclick: (event) => this.deleteComment(id, event.currentTarget) }),
        h("button", { type: "button", text: this.t("keep"), onclick: () => this.render(id, "delete") }));
      bar.querySelector("button").focus();
    }

    async deleteComment(id, button) {
      if (button.getAttribute("aria-busy")) return;
      button.setAttribute("aria-busy", "true");
      try {
        await this.call("DELETE", `/comments/${encodeURIComponent(id)}`,
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
      this.say(this.t("wasDeleted"));
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
      const t = this.t;
      const notice = this.closed ? "closed" : !this.rules ? "noForm"
        : !this.rules.anonymous_comments && !readerSession() ? "signedInOnly" : null;
      if (notice) {
        this.compose.replaceChildren(h("p", { class: "bc-closed", text: t(notice) }));
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
      this.submit = h("button", { type: "submit", text: t("publish") });
      const trapName = this.rules.honeypot_field;
      // A reader who publishes from the preview with the box empty is shown the box and why (oninvalid).
      const body = field("body", t("body"), h("textarea", { rows: 5, required: true, maxlength: this.rules.max_length,
        oninvalid: () => this.showPreview(false) }), null, t("markdown"));
      // The form token is asked for when the reader starts to write, not on every view: it is the
      // one answer no cache may keep. Failures are left for the send, which asks again.
      const write = () => this.formToken().catch(() => null);
      this.form = h("form", { class: "bc-form", "aria-labelledby": `${this.id}-form-title`, onsubmit: (e) => this.send(e),
        onfocusin: write, oninput: write },
        h("h3", { id: `${this.id}-form-title`, text: t("formTitle") }),
        this.replyLine,
        body,
        field("author_name", t("author_name"), input("text", { maxlength: 80, autocomplete: "name", value: known.name,
          placeholder: t("anonymous") })),
        field("author_email", t("author_email"), input("email", { maxlength: 254, autocomplete: "email",
          value: known.email }), t("emailHint")),
        field("author_website", t("author_website"), input("url", { maxlength: 500, autocomplete: "url",
          value: known.website, placeholder: "https://" }), t("optional")),
        h("div", { class: "bc-field bc-check" },
          input("checkbox", { id: `${this.id}-notify`, name: "notify_replies" }),
          h("label", { for: `${this.id}-notify`, text: t("notify") })),
        // For robots only: people never see or reach this field, so a value in it marks a robot.
        h("div", { class: "bc-trap", "aria-hidden": "true" },
          h("label", { for: `${this.id}-${trapName}`, text: t("trap") }),
          input("text", { id: `${this.id}-${trapName}`, name: trapName, tabindex: -1, autocomplete: "off" })),
        this.formError,
        h("div", { class: "bc-buttons" }, this.submit));
      this.addPreview(body);
      if (this.rules.moderation !== "off") {
        this.form.insertBefore(h("p", { class: "bc-hint", text: t(this.rules.moderation === "all" ? "modAll" : "modFirst") }),
          this.formError);
      }
      this.compose.replaceChildren(this.form);
    }

    // --- the reader's account line (widget-account.js), the verified mark, following the thread ---

    verifiedMark() {
      return h("span", { class: "bc-verified" },
        h("span", { "aria-hidden": "true", text: "✓" }), ` ${this.t("verified")}`);
    }

    addAccount() {
      if (this.closed || !this.rules) return; // nothing to sign in for
      this.account = h("div", { class: "bc-account" });
      this.accountStatus = h("p", { class: "bc-notice", role: "status", "aria-live": "polite" });
      this.placeAccount();
      window.addEventListener("blog-comments:session", () => this.renderAccount());
      this.renderAccount();
    }

    placeAccount() {
      this.compose.prepend(this.account, this.accountStatus);
      if (this.form && !this.form.elements.subscribe) {
        this.form.elements.notify_replies.parentElement.after(h("div", { class: "bc-field bc-check" },
          h("input", { type: "checkbox", id: `${this.id}-subscribe`, name: "subscribe" }),
          h("label", { for: `${this.id}-subscribe`, text: this.t("subscribe") })));
      }
    }

    /** Signed out, one button; the sign-in itself (and a signed-in reader's line) comes with widget-account.js,
     * fetched only then: readers who never sign in never download it. */
    renderAccount() {
      const signedIn = readerSession();
      if (signedIn && !this.form) {
        // A blog that takes comments from signed-in readers only: the form comes with the sign-in.
        this.buildForm();
        this.placeAccount();
      }
      for (const name of this.form ? ["author_name", "author_email", "author_website"] : []) {
        // A signed-in reader comments under the account's name and address: no fields to fill in.
        this.form.elements[name].closest(".bc-field").hidden = Boolean(signedIn);
      }
      if (signedIn || linkToken || oidcHandoff) {
        this.accountUI();
        return;
      }
      this.account.replaceChildren(h("button", { type: "button", text: this.t("signInByMail"),
        onclick: () => this.accountUI(true) }));
    }

    async accountUI(opening) {
      try {
        const show = await accountScript(this.base);
        const [token, handoff] = [linkToken, oidcHandoff];
        linkToken = oidcHandoff = null; // one widget on the page uses it
        show(this, { h, readerSession, setReaderSession, storage, token, opening, oidcHandoff: handoff });
      } catch {
        this.accountStatus.textContent = this.t("unreachable");
      }
    }

    /** Following the thread, asked for once the comment is sent: with the account's address, else the form's. */
    async subscribe() {
      const email = readerSession()?.email || this.form.elements.author_email.value.trim();
      try {
        await this.call("POST", this.path("/subscriptions"), { body: { email } });
      } catch (error) {
        // The address the API refuses is the one in the form's Email field.
        throw Object.assign(error, { fields: error.fields.email ? { author_email: error.fields.email } : error.fields });
      }
      this.form.elements.subscribe.checked = false;
      this.accountStatus.textContent = this.t("subscribeAsked", { email });
    }

    // --- Write | Preview: the comment as the API will render it ---

    /** Two tabs above the comment box; the preview panel takes the box's place while chosen. */
    addPreview(field) {
      const text = field.querySelector("textarea");
      this.preview = h("div", { class: "bc-preview", id: `${this.id}-preview`, role: "tabpanel",
        "aria-labelledby": `${this.id}-tab-preview`, tabindex: 0, hidden: true });
      const tab = (name, previewing) => h("button", { type: "button", role: "tab", id: `${this.id}-tab-${name}`,
        "aria-controls": previewing ? this.preview.id : text.id, "aria-selected": String(!previewing),
        tabindex: previewing ? -1 : 0, text: this.t(name),
        onclick: () => this.showPreview(previewing),
        // Arrow keys move between the two tabs, whichever way the script runs.
        onkeydown: (event) => {
          if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
          event.preventDefault();
          this.showPreview(!previewing);
          this.tabs.querySelector('[aria-selected="true"]').focus();
        } });
      this.tabs = h("div", { class: "bc-tabs", role: "tablist" }, tab("write", false), tab("preview", true));
      field.querySelector("label").after(this.tabs);
      text.after(this.preview);
    }

    async showPreview(previewing) {
      if (!this.tabs) return;
      const text = this.form.elements.body;
      for (const tab of this.tabs.children) {
        const chosen = tab.getAttribute("aria-controls") === (previewing ? this.preview.id : text.id);
        tab.setAttribute("aria-selected", String(chosen));
        tab.tabIndex = chosen ? 0 : -1;
      }
      text.hidden = previewing;
      this.preview.hidden = !previewing;
      if (!previewing) return;
      const asked = text.value;
      if (!asked.trim()) {
        this.preview.replaceChildren(h("p", { class: "bc-hint", text: this.t("previewEmpty") }));
        return;
      }
      this.preview.replaceChildren(h("p", { class: "bc-hint", text: this.t("previewing") }));
      try {
        const { data } = await this.call("POST", "/preview", { body: { kind: "comment", body: asked } });
        // Sanitised by the API with the renderer and sanitiser a posted comment goes through.
        if (text.value === asked) this.preview.innerHTML = data.html;
      } catch (error) {
        this.preview.replaceChildren(h("p", { class: "bc-error",
          text: error.fields.body ? this.fieldError("body", error.fields.body) : error.message }));
      }
    }

    fieldError(name, messages) {
      return this.t("fieldError", { field: this.t(name), message: messages.join(" ") });
    }

    replyToComment(id) {
      const comment = this.comments.get(id);
      this.replyTo = id;
      this.replyLine.replaceChildren(`${comment.author ? this.t("replyingTo", { name: comment.author.name })
        : this.t("replyingToComment")} `,
      h("button", { type: "button", text: this.t("cancelReply"), onclick: () => this.cancelReply(true) }));
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
        if (name === "challenge_token" && this.challenge) {
          // The server's words are English; the reader is told what to do in their language.
          this.challenge.error.textContent = this.t("challengeNeeded");
          general = this.t("challengeNeeded");
          continue;
        }
        const slot = this.form.querySelector(`#${this.id}-${CSS.escape(name)}-error`);
        const control = this.form.elements[name];
        if (slot && control && FIELDS.includes(name)) {
          // The API names the field; the label is the reader's language, the rule the server's words.
          slot.textContent = this.fieldError(name, messages);
          control.setAttribute("aria-invalid", "true");
          if (name === "body") this.showPreview(false);
          if (general === error.message) control.focus();
          general = this.t("fixField");
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

    /** The form token (and when it came), fetched once until a comment uses it: tokens are single-use. */
    formToken() {
      if (!this.token) {
        const request = this.call("GET", this.path("/comment-form")).then(({ data }) => {
          const { form_token: token, challenge_required: challenged, ...rules } = data;
          this.rules = { ...this.rules, ...rules };
          if (challenged) this.showChallenge();
          return { token, at: performance.now(), minSeconds: rules.min_seconds };
        });
        // A failed request is forgotten, so the next focus or send asks again.
        request.catch(() => { if (this.token === request) this.token = null; });
        this.token = request;
      }
      return this.token;
    }

    /** The provider's check, shown above the buttons (once; shown again, it starts over for a new token). */
    showChallenge() {
      const spec = this.rules?.challenge;
      if (!spec || !PROVIDERS[spec.provider]) return;
      if (this.challenge) {
        this.challenge.reset();
        return;
      }
      const t = this.t;
      const box = h("div", { class: "bc-challenge-box" });
      const error = h("p", { class: "bc-error", id: `${this.id}-challenge_token-error` });
      // A labelled group: the provider's own control (a checkbox in a frame) is named in the page's language.
      const group = h("div", { class: "bc-field bc-challenge", role: "group", "aria-label": t("challenge") }, box, error);
      this.formError.before(group);
      const state = { token: null, group, error, reset: () => {}, remove: () => group.remove() };
      this.challenge = state;
      const solved = (token) => {
        state.token = token;
        error.textContent = "";
      };
      const lost = () => { state.token = null; };
      const failed = () => {
        state.token = null;
        error.textContent = t("challengeFailed");
      };
      challengeApi(spec.provider, t.lang).then((api) => {
        if (this.challenge !== state) return;
        const id = api.render(box, { sitekey: spec.site_key, ...PROVIDERS[spec.provider].options(t.lang),
          callback: solved, "expired-callback": lost, "error-callback": failed });
        state.reset = () => { lost(); api.reset(id); };
        state.remove = () => { api.remove?.(id); group.remove(); };
      }).catch(failed);
    }

    /** After a comment is sent the token is spent: the check goes, and the next form asks whether it is needed. */
    dropChallenge() {
      this.challenge?.remove();
      this.challenge = null;
    }

    /** A token old enough to send: one fetched just now (a fast typist) waits out the blog's minimum,
     * which the server measures from the token's issue, rather than being refused. */
    async ripeToken() {
      const { token, at, minSeconds } = await this.formToken();
      const wait = minSeconds * 1000 - (performance.now() - at);
      if (wait > 0) await new Promise((resolve) => { setTimeout(resolve, wait); });
      return token;
    }

    async send(event) {
      event.preventDefault();
      this.clearErrors();
      const values = this.form.elements;
      const payload = { body: values.body.value, [this.rules.honeypot_field]: values[this.rules.honeypot_field].value };
      for (const name of ["author_name", "author_email", "author_website"]) {
        const value = values[name].value.trim();
        if (value && !readerSession()) payload[name] = value; // an account's comment carries its own name
      }
      if (values.notify_replies.checked) payload.notify_replies = true;
      if (this.replyTo) payload.parent_id = this.replyTo;
      storage.set("author", { name: payload.author_name, email: payload.author_email, website: payload.author_website });
      if (this.submit.getAttribute("aria-busy")) return;
      // Not disabled while it is sent: a disabled button drops the keyboard focus.
      this.submit.setAttribute("aria-busy", "true");
      this.submit.textContent = this.t("publishing");
      try {
        payload.form_token = await this.ripeToken();
        if (this.challenge?.token) payload.challenge_token = this.challenge.token;
        // A resend of the same words after a lost answer keeps its key, so it cannot post twice;
        // different words are a different comment.
        const fingerprint = JSON.stringify(payload);
        if (fingerprint !== this.keyFor) {
          this.idempotencyKey = randomToken();
          this.keyFor = fingerprint;
        }
        if (values.subscribe?.checked) await this.subscribe(); // first: a refusal (no address) posts nothing
        await this.post(payload, true);
      } catch (error) {
        this.showErrors(error);
      } finally {
        this.submit.removeAttribute("aria-busy");
        this.submit.textContent = this.t("publish");
      }
    }

    async post(payload, mayRenewForm) {
      let reply;
      try {
        reply = await this.call("POST", this.path("/comments"),
          { body: payload, headers: { "Idempotency-Key": this.idempotencyKey } });
      } catch (error) {
        // The server answered, so this attempt is settled: the next one gets a new key.
        if (error.status !== 0 && error.status < 500) this.keyFor = null;
        if (error.fields.form_token) {
          // A token refused (expired, or already used: 409/422): the next attempt fetches a new one.
          this.token = null;
          if (mayRenewForm) {
            // Let the new token come of age and send once more.
            const renewed = await this.ripeToken();
            this.keyFor = null;
            this.idempotencyKey = randomToken();
            return this.post({ ...payload, form_token: renewed }, false);
          }
        }
        // Needed and missing, or refused (used, expired): shown. A token the server may have checked before
        // refusing for another reason is spent at the provider: the check starts over for a new one.
        if (error.fields.challenge_token || (payload.challenge_token && error.status !== 0)) this.showChallenge();
        throw error;
      }
      this.keyFor = null;
      this.token = null; // used up (tokens are single-use): the next comment asks for a new one when written
      this.dropChallenge();
      const { comment } = reply.data;
      storage.set(`edit:${comment.id}`, { token: reply.data.edit_token, expires: reply.data.edit_token_expires_at,
        post: this.slug, held: comment.status !== "approved" });
      const parent = this.replyTo;
      this.cancelReply(false);
      this.form.elements.body.value = "";
      this.showPreview(false);
      this.add(comment, true);
      const answered = parent && this.comments.get(parent);
      if (reply.status === 201 && answered) answered.reply_count += 1;
      if (reply.status === 201) {
        this.count += 1;
        this.renderCount();
        this.say(this.t("published"));
      } else {
        this.say(this.t("held"));
      }
      if (parent) this.nodes.get(parent)?.item.querySelector('[data-action="reply"]')?.focus();
      return comment;
    }
  }

  // --- themes --------------------------------------------------------------------------------

  const THEMES = ["light", "dark", "auto"];
  const following = new Set(); // the widgets in "auto"
  let watching = false;

  /** light or dark: what the site's own toggle says on <html>, else what the reader's system prefers. */
  function siteTheme() {
    const root = document.documentElement;
    const named = (root.dataset.theme || "").toLowerCase();
    if (named === "light" || named === "dark") return named;
    if (root.classList.contains("dark")) return "dark";
    if (root.classList.contains("light")) return "light";
    const scheme = /^(?:only\s+)?(light|dark)$/.exec(getComputedStyle(root).colorScheme.trim());
    if (scheme) return scheme[1];
    return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function follow() {
    const theme = siteTheme();
    for (const section of following) {
      if (section.isConnected) section.dataset.bcTheme = theme;
      else following.delete(section);
    }
  }

  /** A widget's theme: light or dark as chosen, or in auto the site's and the system's, watched (no polling). */
  function themed(section, theme) {
    if (!THEMES.includes(theme)) return; // the page's own colours, as before themes
    if (theme !== "auto") {
      section.dataset.bcTheme = theme;
      return;
    }
    following.add(section);
    section.dataset.bcTheme = siteTheme();
    if (watching) return;
    watching = true;
    new MutationObserver(follow).observe(document.documentElement,
      { attributes: true, attributeFilter: ["class", "data-theme", "style"] });
    matchMedia("(prefers-color-scheme: dark)").addEventListener("change", follow);
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
    theme: script?.dataset.theme,
    // Seconds; 0 turns live updates off.
    live: Number(script?.dataset.live ?? 15),
  };
  if (script?.dataset.api) defaults.api = new URL(script.dataset.api, window.location.href).href;

  function mount(element, options = {}) {
    const settings = { ...defaults, ...options };
    settings.post = settings.post || slugFromPage();
    // The language: the mount's or the tag's data-lang, the page's, then the browser's; English last.
    settings.lang = [options.lang, element.dataset.lang, script?.dataset.lang, document.documentElement.lang,
      ...(navigator.languages || [navigator.language])];
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
