// The widget's words: which language a page gets, plurals (with a "0" text), numbers, dates and waits.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { EN, LANGS, pickLanguage, words } from "../widget/i18n.js";

describe("pickLanguage", () => {
  it("takes the first wish the widget speaks, with its region kept for formats", () => {
    assert.deepEqual(pickLanguage(["tlh", "pt-BR", "de"]), ["pt", "pt-BR"]);
  });

  it("reads underscores and case as the same tag", () => {
    assert.deepEqual(pickLanguage(["ZH_hans_cn"]), ["zh", "zh-Hans-CN"]);
  });

  it("keeps the language alone when the region is malformed", () => {
    assert.deepEqual(pickLanguage(["de-!!"]), ["de", "de"]);
  });

  it("falls back to English when no wish is spoken, empty or missing", () => {
    assert.deepEqual(pickLanguage([undefined, "", "xx-YY"]), ["en", "en"]);
  });

  it("knows English and every catalogue only", () => {
    assert.ok(LANGS.includes("en") && LANGS.includes("ja"));
    assert.deepEqual(pickLanguage(["en-GB"]), ["en", "en-GB"]);
  });
});

describe("t()", () => {
  it("uses the catalogue's text and fills its names", () => {
    const t = words("fr", "fr", { replyTo: "Répondre à {name}" });
    assert.equal(t("replyTo", { name: "Ada" }), "Répondre à Ada");
  });

  it("falls back to English for a message the catalogue lacks", () => {
    const t = words("fr", "fr", {});
    assert.equal(t("reply"), EN.reply);
  });

  it("chooses the zero text, then the plural category of the language", () => {
    const t = words("en", "en", EN);
    assert.equal(t("count", { n: 0 }), "No comments");
    assert.equal(t("count", { n: 1 }), "1 comment");
    assert.equal(t("count", { n: 1234 }), "1,234 comments");
  });

  it("chooses Russian's few and many forms", () => {
    const count = { one: "{n} комментарий", few: "{n} комментария", many: "{n} комментариев", other: "{n}" };
    const t = words("ru", "ru", { count });
    assert.equal(t("count", { n: 1 }), "1 комментарий");
    assert.equal(t("count", { n: 3 }), "3 комментария");
    assert.equal(t("count", { n: 11 }), "11 комментариев");
    assert.equal(t("count", { n: 21 }), "21 комментарий");
  });

  it("uses other where the language has no zero text and one form only", () => {
    const t = words("ja", "ja", { count: { other: "{n} 件のコメント" } });
    assert.equal(t("count", { n: 0 }), "0 件のコメント");
  });

  it("formats numbers in the page's locale, never as HTML", () => {
    const t = words("de", "de", { like: "Gefällt mir: {n}", replyTo: "Antwort an {name}" });
    assert.equal(t("like", { n: 12345 }), "Gefällt mir: 12.345");
    assert.equal(t("replyTo", { name: "<b>x</b>" }), "Antwort an <b>x</b>");
    assert.equal(t("replyTo"), "Antwort an ");
  });

  it("says a short wait in seconds and a long one in whole minutes", () => {
    const t = words("en", "en", EN);
    assert.equal(t.wait(30), "30 seconds");
    assert.equal(t.wait(600), "10 minutes");
    assert.equal(t.wait(91), "2 minutes");
  });

  it("says recent times relatively and old ones as a date", () => {
    const t = words("en", "en", EN);
    const ago = (seconds) => new Date(Date.now() - seconds * 1000).toISOString();
    assert.equal(t.ago(ago(3 * 3600)), "3 hours ago");
    assert.equal(t.ago(ago(86400 + 600)), "yesterday");
    const old = "2020-02-03T10:00:00Z";
    assert.equal(t.ago(old), t.date(old));
    assert.match(t.date(old), /2020/);
  });
});
