/* The reader's account line (widget-account.js draws the sign-in), the verified mark, following the thread.
 * Sign-in methods hook in here: widget-account.js gets the env object built in accountUI. */

import { h } from "../shared/dom.js";
import { accountScript, hasLinkToken, readerSession, setReaderSession, takeLinkToken } from "./session.js";
import { storage } from "./storage.js";

/** Thread methods. */
export class Account {
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
    if (signedIn || hasLinkToken()) {
      this.accountUI();
      return;
    }
    this.account.replaceChildren(h("button", { type: "button", text: this.t("signInByMail"),
      onclick: () => this.accountUI(true) }));
  }

  async accountUI(opening) {
    try {
      const show = await accountScript(this.base);
      const token = takeLinkToken(); // one widget on the page uses it
      show(this, { h, readerSession, setReaderSession, storage, token, opening });
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
}
