// The widget's "auto" theme: which of light and dark a page asks for, and in what order its signs count.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { themeOf } from "../widget/theme.js";

const page = ({ named = "", classes = [], scheme = "normal", prefersDark = false } = {}) =>
  themeOf({ named, classes, scheme, prefersDark });

describe("themeOf", () => {
  it("follows the site's toggle on <html> first, whatever its case", () => {
    assert.equal(page({ named: "DARK", classes: ["light"], prefersDark: false }), "dark");
    assert.equal(page({ named: "light", prefersDark: true }), "light");
  });

  it("ignores a toggle value it does not know, then reads a dark or light class", () => {
    assert.equal(page({ named: "sepia", classes: ["dark"] }), "dark");
    assert.equal(page({ classes: ["light"], prefersDark: true }), "light");
  });

  it("reads a single CSS color-scheme, but not one that allows both", () => {
    assert.equal(page({ scheme: "dark" }), "dark");
    assert.equal(page({ scheme: " only light ", prefersDark: true }), "light");
    assert.equal(page({ scheme: "light dark", prefersDark: true }), "dark");
  });

  it("falls back to the reader's system preference", () => {
    assert.equal(page({ prefersDark: true }), "dark");
    assert.equal(page({}), "light");
  });
});
