// The one DOM helper, in jsdom (a real DOM implementation, from .tools/): text stays text, nothing runs.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { before, describe, it } from "node:test";

import { h, httpUrl } from "../shared/dom.js";

const { JSDOM } = createRequire(new URL("../../.tools/node_modules/", import.meta.url))("jsdom");

before(() => {
  globalThis.document = new JSDOM("<!doctype html><body></body>").window.document;
});

describe("h", () => {
  it("makes text of strings that look like HTML", () => {
    const element = h("p", {}, "<img src=x onerror=alert(1)>", h("b", { text: "<script>" }));
    assert.equal(element.querySelector("img"), null);
    assert.equal(element.querySelector("script"), null);
    assert.equal(element.textContent, "<img src=x onerror=alert(1)><script>");
    assert.equal(element.innerHTML, "&lt;img src=x onerror=alert(1)&gt;<b>&lt;script&gt;</b>");
  });

  it("sets attributes as values, quotes and all, never as markup", () => {
    const element = h("a", { href: "https://example.com/?q=\"><script>", title: "a\" onmouseover=\"x" });
    assert.equal(element.getAttribute("title"), "a\" onmouseover=\"x");
    assert.equal(element.getAttribute("onmouseover"), null);
    assert.equal(element.attributes.length, 2);
  });

  it("adds a function as a listener and refuses a string as an inline handler", () => {
    let clicks = 0;
    const button = h("button", { onclick: () => { clicks += 1; } });
    button.click();
    assert.equal(clicks, 1);
    assert.equal(button.getAttribute("onclick"), null);
    assert.throws(() => h("button", { onclick: "alert(1)" }), TypeError);
  });

  it("leaves out false, null and undefined props and children; true is a bare attribute", () => {
    const element = h("input", { hidden: true, disabled: false, title: null, value: undefined, maxlength: 80 },
      null, false, undefined);
    assert.equal(element.outerHTML, '<input hidden="" maxlength="80">');
  });

  it("takes nested lists and numbers among the children", () => {
    const list = h("ol", { class: "x" }, [h("li", { text: "a" }), [h("li", { text: "b" })]], 3);
    assert.equal(list.className, "x");
    assert.equal(list.children.length, 2);
    assert.equal(list.textContent, "ab3");
  });
});

describe("httpUrl", () => {
  it("keeps http and https links", () => {
    assert.equal(httpUrl("https://example.com/a b"), "https://example.com/a%20b");
    assert.equal(httpUrl("http://example.com"), "http://example.com/");
  });

  it("refuses every other scheme and what is not a URL", () => {
    for (const raw of ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<b>", "vbscript:x",
      "//example.com", "/relative", "", null]) {
      assert.equal(httpUrl(raw), null, String(raw));
    }
  });
});
