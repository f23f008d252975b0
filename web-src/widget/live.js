/* Live threads: new comments from the same cacheable read, polled while the page is seen (docs/live-threads.md). */

import { PAGE_SIZE } from "./constants.js";

/** The comments waiting behind the "N new" bar after a look: the queue so far plus what the answer holds
 * (unless the reader's own comment is being sent: the answer may hold it before the widget does), less every
 * comment the thread already shows. */
export function merged(queued, answer, shown, sending) {
  const next = new Map(queued);
  if (!sending) for (const comment of answer || []) next.set(comment.id, comment);
  for (const id of next.keys()) if (shown.has(id)) next.delete(id);
  return next;
}

/** The wait before the next look: a third of the longest after a look that found something new, growing
 * back by half while none do. */
export function nextWait(longest, wait, before, after) {
  return after > before ? longest / 3 : Math.min(longest, wait * 1.5);
}

/** Thread methods. */
export class Live {

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
    let answer = [];
    try {
      ({ data: { comments: answer } } = await this.call("GET", this.path(`?embed=comments&comments_limit=${PAGE_SIZE}`)));
    } catch {
      /* offline for a moment: the next look tries again */
    }
    this.queued = merged(this.queued, answer, this.comments, Boolean(this.submit?.getAttribute("aria-busy")));
    const n = this.queued.size;
    // Said again only when it changes: a live region may repeat text that is merely set again.
    if (n !== before) this.fresh.textContent = n ? this.t("fresh", { n }) : "";
    this.fresh.hidden = !n;
    this.wait = nextWait(this.liveMax, this.wait, before, n);
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
