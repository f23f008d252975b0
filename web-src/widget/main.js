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
 * This is the bundle's entry: esbuild makes web/widget.js from it (make js, devtools/javascript.py).
 */

import { h } from "../shared/dom.js";
import { Account } from "./account.js";
import { FormToken } from "./challenge.js";
import { Editing } from "./editing.js";
import { Form } from "./form.js";
import { Live } from "./live.js";
import { Preview } from "./preview.js";
import { takeSignInFragment } from "./session.js";
import { Thread } from "./thread.js";
import { Votes } from "./votes.js";

// Read while this script runs: later, document.currentScript is some other script or none.
const script = document.currentScript || document.querySelector('script[src$="widget.js"]');
takeSignInFragment();

// Each job's methods join the thread's class, as if written in it.
for (const part of [Votes, Editing, Form, Preview, FormToken, Account, Live]) {
  for (const name of Object.getOwnPropertyNames(part.prototype)) {
    if (name !== "constructor") Object.defineProperty(Thread.prototype, name, Object.getOwnPropertyDescriptor(part.prototype, name));
  }
}

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
