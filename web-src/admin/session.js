/* Signing in and out, and the account's own choices (PATCH /auth/me). */

import { announce, API, api, failure, main, nav, problemText, RETURN_KEY, setToken, state, store, token, when, who } from "./core.js";
import { dropDrafts } from "./editor.js";
import { started, teardown } from "./router.js";
import { h } from "../shared/dom.js";

export function sessionEnded() {
  setToken(null);
  state.me = null;
  store("sessionStorage")?.setItem(RETURN_KEY, location.hash);
  signIn("Your session has ended. Sign in again: your unsaved text is kept in this browser.");
}

export function signIn(notice) {
  teardown();
  nav.hidden = true;
  who.replaceChildren();
  const email = h("input", { id: "email", type: "email", autocomplete: "username", required: true });
  const password = h("input", { id: "password", type: "password", autocomplete: "current-password", required: true });
  const status = h("p", { class: "error", role: "alert" });
  const sent = h("p", { class: "notice", role: "status" });
  const form = h("form", { class: "card signin", onsubmit: async (event) => {
    event.preventDefault();
    status.textContent = "";
    try {
      signedIn((await api("POST", "/auth/login", { email: email.value, password: password.value })).data);
    } catch (error) {
      status.textContent = problemText(error);
    }
  } },
    h("h1", { text: "Sign in" }),
    notice ? h("p", { class: "notice", role: "status", text: notice }) : null,
    h("label", { for: "email", text: "E-mail" }), email,
    h("label", { for: "password", text: "Password" }), password,
    h("button", { type: "submit", text: "Sign in" }),
    window.BlogConsolePasskeys?.signInButton({ api, h, problemText, status, signedIn }),
    h("button", { type: "button", class: "link", text: "Forgot your password?", onclick: () => forgotten(email, status, sent) }),
    status, sent);
  main.replaceChildren(form);
  email.focus();
  oidc().then((o) => o.console.offer(h, API, form)).catch(() => { /* no providers: the password form alone */ });
}

/** widget-oidc.js (sign-in with OpenID Connect), fetched when the sign-in form shows or a provider sent us back. */
let oidcLoad = null;
export function oidc() {
  oidcLoad ||= new Promise((resolve, reject) => {
    document.head.append(h("script", { src: `${API}/widget-oidc.js`, onload: () => resolve(window.BlogComments.oidc),
      onerror: () => { oidcLoad = null; reject(new Error("widget-oidc.js")); } }));
  });
  return oidcLoad;
}

/** A new-password link mailed to the address in the form (POST /auth/password-reset): the same answer whether an
 * account has it or not, so the form tells nobody which addresses have accounts. */
async function forgotten(email, status, sent) {
  status.textContent = sent.textContent = "";
  if (!email.reportValidity()) return;
  try {
    await api("POST", "/auth/password-reset", { email: email.value });
    sent.textContent = `If an account has the address ${email.value}, a link to choose a new password is on its way.`;
  } catch (error) {
    status.textContent = problemText(error);
  }
}

/** A session from the sign-in form (a password, or a passkey: web/admin/passkeys.js). */
function signedIn(data) {
  setToken(data.token);
  state.me = data.user;
  const back = store("sessionStorage")?.getItem(RETURN_KEY);
  store("sessionStorage")?.removeItem(RETURN_KEY);
  started(back || location.hash || "#posts");
}

export function signOut() {
  dropDrafts();
  // This session ends on the server too (POST /auth/sign-out), so a copy of the token is worth nothing.
  if (token()) api("POST", "/auth/sign-out").catch(() => { /* ended or unreachable: forgotten here anyway */ });
  setToken(null);
  state.me = null;
  store("sessionStorage")?.removeItem(RETURN_KEY);
  history.replaceState(null, "", location.pathname);
  signIn("You are signed out.");
}

// An author's own choice; PATCH /auth/me changes only what it is sent.
export function account() {
  const box = h("input", { id: "mail-held", type: "checkbox", checked: Boolean(state.me.mail_held_comments),
    onchange: async () => {
      box.disabled = true;
      try {
        const { data } = await api("PATCH", "/auth/me", { mail_held_comments: box.checked });
        state.me = data.user;
        announce(state.me.mail_held_comments ? "You will be e-mailed about held comments on your posts."
          : "You will no longer be e-mailed about held comments.");
      } catch (error) {
        box.checked = !box.checked;
        failure(error);
      } finally {
        box.disabled = false;
      }
    } });
  main.replaceChildren(h("h1", { text: "Account" }), h("section", { class: "card" },
    h("p", { text: `${state.me.username}, ${state.me.email}` }),
    h("p", {}, box, " ", h("label", { for: "mail-held",
      text: "E-mail me when a comment on one of my posts waits for moderation, with links to approve, spam or delete it." })),
    state.me.role === "admin" ? h("p", { class: "meta", text: "As an admin you are e-mailed about every held comment anyway." }) : null),
  window.BlogConsolePasskeys?.section({ api, h, problemText, when, announce }));
}
