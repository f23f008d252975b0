/* Live threads: new comments from the same cacheable read, polled while the page is seen (docs/live-threads.md). */

import { PAGE_SIZE } from "./constants.js";

/** Thread methods. */
export class Live {
  // --- live thread: new comments from the same cacheable read, polled while the page is seen ---

  /** Look again every few seconds while the tab is visible, less often while nothing changes, never
   * while it is hidden; a cache answers most looks with a 304 (docs/live-threads.md). */
  goLive() {
    // Off, or a thread longer than one read: not followed.
    if (!this.liveMax || this.cursor) return;
    this.queued = new Map();
    // The bar's place is kept from now on, so that its coming moves nothing on the page.
    this.fresh.parentElement.classList.add("bc-on");
    // A third of it after a look that found something, growing back while none do.
    this.wait = this.liveMax;
    // Hidden: the pending look is cancelled. Shown again: a look at once.
    document.addEventListener("visibilitychange", () => this.nextLook(0));
    this.nextLook();
  }

  nextLook(delay = this.wait) {
    clearTimeout(this.timer);
    if (!document.hidden) this.timer = setTimeout(() => this.look(), delay);
  }

  async look() {
    const before = this.queued.size;
    try {
      const { data } = await this.call("GET", this.path(`?embed=comments&comments_limit=${PAGE_SIZE}`));
      // While this reader's own comment is being sent, the answer may hold it before the widget does.
      if (!this.submit?.getAttribute("aria-busy")) for (const c of data.comments) this.queued.set(c.id, c);
    } catch {
      /* offline for a moment: the next look tries again */
    }
    for (const id of this.queued.keys()) if (this.comments.has(id)) this.queued.delete(id);
    const n = this.queued.size;
    // Said again only when it changes: a live region may repeat text that is merely set again.
    if (n !== before) this.fresh.textContent = n ? this.t("fresh", { n }) : "";
    this.fresh.hidden = !n;
    this.wait = n > before ? this.liveMax / 3 : Math.min(this.liveMax, this.wait * 1.5);
    this.nextLook();
  }

  /** The reader asked: the queued comments take their places, replies under their parents. */
  showFresh() {
    const shown = [...this.queued.values()].filter((c) => !this.comments.has(c.id));
    this.queued.clear();
    this.fresh.hidden = true;
    for (const comment of shown) this.add(comment, this.sort !== "oldest");
    this.count += shown.length;
    this.renderCount();
    if (shown[0]) this.focusComment(shown[0].id);
  }
}
