// A thread's order: where a comment goes, and what a live look adds to the "N new comments" bar.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { merged, nextWait } from "../widget/live.js";
import { placement } from "../widget/thread.js";

const comment = (id, parent_id = null) => ({ id, parent_id });

describe("placement", () => {
  it("puts a reply under its parent when the parent is shown", () => {
    assert.equal(placement(comment("r", "p"), { parentShown: true, pinned: false, mine: false, sort: "oldest" }), "replies");
  });

  it("puts a reply whose parent is not shown yet at the end, to move under it later", () => {
    assert.equal(placement(comment("r", "p"), { parentShown: false, pinned: false, mine: false, sort: "newest" }), "end");
  });

  it("puts the pinned comment first, whatever the order", () => {
    assert.equal(placement(comment("a"), { parentShown: false, pinned: true, mine: false, sort: "oldest" }), "top");
  });

  it("puts the reader's own comment first when newest come first, last when oldest do", () => {
    assert.equal(placement(comment("a"), { parentShown: false, pinned: false, mine: true, sort: "newest" }), "top");
    assert.equal(placement(comment("a"), { parentShown: false, pinned: false, mine: true, sort: "score" }), "top");
    assert.equal(placement(comment("a"), { parentShown: false, pinned: false, mine: true, sort: "oldest" }), "end");
  });

  it("puts everything else at the end, in the order the pages give", () => {
    assert.equal(placement(comment("a"), { parentShown: false, pinned: false, mine: false, sort: "newest" }), "end");
  });
});

describe("merged", () => {
  const shown = new Map([["a", comment("a")], ["b", comment("b")]]);

  it("queues what the look found that the thread does not show", () => {
    const queue = merged(new Map(), [comment("a"), comment("b"), comment("c"), comment("d", "a")], shown, false);
    assert.deepEqual([...queue.keys()], ["c", "d"]);
  });

  it("keeps what was queued before, updated by the newer answer", () => {
    const before = new Map([["c", { id: "c", likes: 0 }]]);
    const queue = merged(before, [{ id: "c", likes: 2 }, comment("e")], shown, false);
    assert.deepEqual([...queue.keys()], ["c", "e"]);
    assert.equal(queue.get("c").likes, 2);
    assert.equal(before.get("c").likes, 0); // the old queue is not changed in place
  });

  it("adds nothing while the reader's own comment is being sent, and drops what is shown by now", () => {
    const before = new Map([["b", comment("b")], ["c", comment("c")]]);
    assert.deepEqual([...merged(before, [comment("x")], shown, true).keys()], ["c"]);
  });

  it("copes with a failed look (no answer)", () => {
    assert.equal(merged(new Map([["c", comment("c")]]), undefined, shown, false).size, 1);
  });
});

describe("nextWait", () => {
  it("looks again sooner after finding something new", () => {
    assert.equal(nextWait(15000, 15000, 0, 2), 5000);
  });

  it("backs off by half while nothing changes, up to the longest wait", () => {
    assert.equal(nextWait(15000, 5000, 2, 2), 7500);
    assert.equal(nextWait(15000, 12000, 2, 2), 15000);
    assert.equal(nextWait(15000, 5000, 3, 0), 7500); // shown by the reader: fewer, not more
  });
});
