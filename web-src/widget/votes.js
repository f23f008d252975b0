/* Votes on comments, and reactions: one button per kind of the stage's set, on the post and on each comment. */

import { h } from "../shared/dom.js";
import { storage, voterToken } from "./storage.js";

/** Thread methods. */
export class Votes {
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
}
