/* A reader's own comment, edited or deleted while its edit window is open (its edit token in storage). */

import { h } from "../shared/dom.js";
import { editToken, storage } from "./storage.js";

/** Thread methods. */
export class Editing {
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
}
