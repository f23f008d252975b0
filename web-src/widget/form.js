/* "Post a Comment": the form, a reply's place, the server's refusals shown by their fields, sending. */

import { h } from "../shared/dom.js";
import { FIELDS } from "./constants.js";
import { readerSession } from "./session.js";
import { randomToken, storage } from "./storage.js";

/** What a comment sends, from the form's values: the body as typed (the server judges blank and long), the
 * author's fields trimmed and only when filled (a signed-in reader's comment carries the account's name, so
 * none), the honeypot as found (a robot's value there is the server's to refuse), a reply's parent. */
export function commentPayload(values, { honeypot, signedIn, replyTo }) {
  const payload = { body: values.body, [honeypot]: values[honeypot] ?? "" };
  for (const name of FIELDS.slice(1)) {
    const value = String(values[name] ?? "").trim();
    if (value && !signedIn) payload[name] = value;
  }
  if (values.notify_replies) payload.notify_replies = true;
  if (replyTo) payload.parent_id = replyTo;
  return payload;
}

/** Thread methods. */
export class Form {
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


  async send(event) {
    event.preventDefault();
    this.clearErrors();
    const values = this.form.elements;
    const trap = this.rules.honeypot_field;
    const payload = commentPayload({ body: values.body.value, author_name: values.author_name.value,
      author_email: values.author_email.value, author_website: values.author_website.value,
      notify_replies: values.notify_replies.checked, [trap]: values[trap].value },
    { honeypot: trap, signedIn: Boolean(readerSession()), replyTo: this.replyTo });
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
