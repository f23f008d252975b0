/* The sections, who may open them, and the route: #section/rest?query picks a view. */

import { bans, settings } from "./bans.js";
import { main, nav, state, who } from "./core.js";
import { costs } from "./costs.js";
import { commentSearch } from "./comment-search.js";
import { editor } from "./editor.js";
import { auditTrail, people } from "./people.js";
import { postList } from "./posts.js";
import { moderationQueue, recentComments } from "./queue.js";
import { account, signOut } from "./session.js";
import { h } from "../shared/dom.js";
import { resolve, sectionsFor } from "./routes.js";
import { threadTools } from "./thread.js";

export function started(hash) {
  who.replaceChildren(h("span", { text: `${state.me.username} (${state.me.role})` }), " ",
    h("button", { type: "button", class: "link", onclick: signOut, text: "Sign out" }));
  nav.replaceChildren(...sectionsFor(state.me.role).map(([href, label]) => h("a", { href, text: label })));
  nav.hidden = state.me.role === "reader";
  if (location.hash !== hash) location.hash = hash; else route();
}

// -- routing ------------------------------------------------------------------------------

export function teardown() {
  if (state.view) state.view();
  state.view = null;
}

export function route() {
  if (!state.me) return;
  teardown();
  const { section, rest, params } = resolve(location.hash, state.me.role);
  for (const link of nav.querySelectorAll("a")) {
    if (link.getAttribute("href") === `#${location.hash.slice(1).split(/[/?]/)[0]}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (state.me.role === "reader") return nothingToDo();
  const views = { posts: postList, new: () => editor(null), edit: () => editor(rest),
    queue: moderationQueue, recent: recentComments, audit: auditTrail, people, bans, settings, costs, account,
    thread: () => threadTools(rest, params), search: commentSearch };
  main.replaceChildren(h("p", { text: "Loading…" }));
  views[section](params);
}

export function nothingToDo() {
  main.replaceChildren(h("section", { class: "card" },
    h("h1", { text: "Nothing to do here" }),
    h("p", { text: "Your account is a reader's: the console is for authors and admins. " +
      "Ask an admin to make you an author, then sign in again." })));
}
