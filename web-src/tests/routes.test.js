// The console's routes: what an address opens, and for whom.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { mayOpen, resolve, sectionsFor } from "../admin/routes.js";

describe("resolve", () => {
  it("reads a section with its query", () => {
    assert.deepEqual(resolve("#queue?status=pending&cursor=abc%3D", "author"),
      { section: "queue", rest: "", params: { status: "pending", cursor: "abc=" } });
  });

  it("decodes the slug of a post to edit or a thread to manage, slashes and all", () => {
    assert.deepEqual(resolve("#edit/caf%C3%A9/2", "author"), { section: "edit", rest: "café/2", params: {} });
    assert.equal(resolve("#thread/a%20b", "admin").rest, "a b");
  });

  it("opens the post list for an empty, unknown or malformed address", () => {
    for (const hash of ["", "#", "#nowhere", "#edit/%E0%A4%A", "#__proto__", "#constructor"]) {
      assert.equal(resolve(hash, "admin").section, "posts", hash);
    }
  });

  it("keeps an author out of the admin's sections, keeping the query", () => {
    assert.deepEqual(resolve("#people?q=x", "author"), { section: "posts", rest: "", params: { q: "x" } });
    assert.equal(resolve("#costs", "author").section, "posts");
    assert.equal(resolve("#costs", "admin").section, "costs");
  });
});

describe("who may open what", () => {
  it("lets admins open everything, authors their own sections, readers nothing", () => {
    assert.equal(mayOpen("admin", "admin"), true);
    assert.equal(mayOpen("author", "author"), true);
    assert.equal(mayOpen("author", "admin"), false);
    assert.equal(mayOpen("reader", "author"), false);
    assert.equal(mayOpen(undefined, "author"), false);
  });

  it("shows each role its own navigation", () => {
    const names = (role) => sectionsFor(role).map(([href]) => href);
    assert.deepEqual(names("author"), ["#posts", "#new", "#queue", "#account"]);
    assert.equal(names("admin").length, 10);
    assert.deepEqual(names("reader"), []);
  });
});
