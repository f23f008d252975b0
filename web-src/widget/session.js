/* The reader's sign-in: their session, a mailed link's token, and widget-account.js, fetched only when needed. */

import { h } from "../shared/dom.js";

/** The signed-in reader ({token, username, email}): in sessionStorage, where the console keeps its own
 * token (not localStorage: it ends with the tab, and nothing else on a shared browser finds it later),
 * or in memory where storage is refused. */
const SESSION_KEY = "blog-comments-session";
let memorySession = null;
export function readerSession() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY)) || memorySession;
  } catch {
    return memorySession; // refused or unreadable
  }
}

export function setReaderSession(value) {
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
 * out of the history and of any link copied from it) before anything else runs (main.js calls this first),
 * and used once. */
const SIGN_IN_FRAGMENT = "#blog-signin=";
let linkToken = null;
export function takeSignInFragment() {
  if (!window.location.hash.startsWith(SIGN_IN_FRAGMENT)) return;
  try {
    linkToken = decodeURIComponent(window.location.hash.slice(SIGN_IN_FRAGMENT.length));
  } catch {
    linkToken = null;
  }
  history.replaceState(history.state, "", window.location.pathname + window.location.search);
}

/** widget-account.js, fetched once from where this file came, the first time a reader needs it. */
let accountLoad = null;
export function accountScript(base) {
  accountLoad ||= new Promise((resolve, reject) => {
    document.head.append(h("script", { src: `${base}/widget-account.js`, async: true,
      onload: () => resolve(window.BlogComments.account),
      onerror: () => { accountLoad = null; reject(new Error("widget-account.js")); } }));
  });
  return accountLoad;
}

/** The mailed link's token, taken by the first widget on the page that asks (it is used once). */
export function takeLinkToken() {
  const token = linkToken;
  linkToken = null;
  return token;
}

export function hasLinkToken() {
  return linkToken !== null;
}
