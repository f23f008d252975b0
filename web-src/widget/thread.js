/* One thread: its skeleton, its pages of comments in order, and each comment drawn.
 *
 * Safety rule: the only HTML the widget ever inserts is a comment's `html` field, which the API sanitised
 * when the comment was written, and the preview's `html`, which the API sanitised the same way just now.
 * Names, dates, counts and messages are set as text; links are made only from http(s) URLs.
 *
 * The Thread class is drawn here; its other jobs are methods from their own modules (votes.js, editing.js,
 * form.js, preview.js, challenge.js, account.js, live.js), put on its prototype by main.js.
 */

import { h, httpUrl } from "../shared/dom.js";
import { call, pageQuery } from "./api.js";
import { PAGE_SIZE, SORTS } from "./constants.js";
import { catalogue, pickLanguage, RTL, words } from "./i18n.js";
import { editToken, randomToken, storage } from "./storage.js";
import { themed } from "./theme.js";

let instances = 0;

/** Where a comment new to the page goes: under its parent when the parent is shown; at the top when it is the
 * pinned one (its replies follow it there) or the reader's own in a newest-first thread; else at the end, in
 * the order the pages give. */
export function placement(comment, { parentShown, pinned, mine, sort }) {
  if (comment.parent_id && parentShown) return "replies";
  if (pinned || (mine && sort !== "oldest")) return "top";
  return "end";
}

export class Thread {
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
        this.call("GET", this.path(`/comments${pageQuery(this.sort, PAGE_SIZE)}`)),
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
      const { data } = await this.call("GET", this.path(`/comments${pageQuery(this.sort, PAGE_SIZE, this.cursor)}`));
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
    const place = placement(comment, { parentShown: Boolean(parent), pinned: this.isPinned(comment.id), mine,
      sort: this.sort });
    if (place === "replies") parent.replies.append(item);
    else if (place === "top") this.list.prepend(item);
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
}
