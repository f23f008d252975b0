/* The challenge (Turnstile or hCaptcha), loaded only when the server asks for it, and the form token it guards. */

import { h } from "../shared/dom.js";

// Each provider's script and global, and where it takes the widget's language: Turnstile as render()'s
// `language` (with the `action` the server checks), hCaptcha as the script's `hl`.
export const PROVIDERS = {
  turnstile: { script: "https://challenges.cloudflare.com/turnstile/v0/api.js", global: "turnstile",
    query: () => ({}), options: (lang) => ({ language: lang === "zh" ? "zh-cn" : lang, action: "comment" }) },
  hcaptcha: { script: "https://js.hcaptcha.com/1/api.js", global: "hcaptcha",
    query: (lang) => ({ hl: lang === "zh" ? "zh-CN" : lang }), options: () => ({}) },
};
const providerScripts = new Map(); // provider -> Promise of its API, loaded once per page

/** The provider's API, its script added to the page once (rendered by the widget: render=explicit). */
export function challengeApi(name, lang) {
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

/** Thread methods: the form token, and the provider's check while this reader needs one. */
export class FormToken {
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
}
