/* Write | Preview: the comment as the API will render it. */

import { h } from "../shared/dom.js";

/** Thread methods. */
export class Preview {
  /** Two tabs above the comment box; the preview panel takes the box's place while chosen. */
  addPreview(field) {
    const text = field.querySelector("textarea");
    this.preview = h("div", { class: "bc-preview", id: `${this.id}-preview`, role: "tabpanel",
      "aria-labelledby": `${this.id}-tab-preview`, tabindex: 0, hidden: true });
    const tab = (name, previewing) => h("button", { type: "button", role: "tab", id: `${this.id}-tab-${name}`,
      "aria-controls": previewing ? this.preview.id : text.id, "aria-selected": String(!previewing),
      tabindex: previewing ? -1 : 0, text: this.t(name),
      onclick: () => this.showPreview(previewing),
      // Arrow keys move between the two tabs, whichever way the script runs.
      onkeydown: (event) => {
        if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
        event.preventDefault();
        this.showPreview(!previewing);
        this.tabs.querySelector('[aria-selected="true"]').focus();
      } });
    this.tabs = h("div", { class: "bc-tabs", role: "tablist" }, tab("write", false), tab("preview", true));
    field.querySelector("label").after(this.tabs);
    text.after(this.preview);
  }

  async showPreview(previewing) {
    if (!this.tabs) return;
    const text = this.form.elements.body;
    for (const tab of this.tabs.children) {
      const chosen = tab.getAttribute("aria-controls") === (previewing ? this.preview.id : text.id);
      tab.setAttribute("aria-selected", String(chosen));
      tab.tabIndex = chosen ? 0 : -1;
    }
    text.hidden = previewing;
    this.preview.hidden = !previewing;
    if (!previewing) return;
    const asked = text.value;
    if (!asked.trim()) {
      this.preview.replaceChildren(h("p", { class: "bc-hint", text: this.t("previewEmpty") }));
      return;
    }
    this.preview.replaceChildren(h("p", { class: "bc-hint", text: this.t("previewing") }));
    try {
      const { data } = await this.call("POST", "/preview", { body: { kind: "comment", body: asked } });
      // Sanitised by the API with the renderer and sanitiser a posted comment goes through.
      if (text.value === asked) this.preview.innerHTML = data.html;
    } catch (error) {
      this.preview.replaceChildren(h("p", { class: "bc-error",
        text: error.fields.body ? this.fieldError("body", error.fields.body) : error.message }));
    }
  }
}
