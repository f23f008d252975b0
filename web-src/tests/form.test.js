// What the comment form sends: the server judges, but the widget must send what the reader means and no more.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { commentPayload } from "../widget/form.js";

const rules = { honeypot: "website_url", signedIn: false, replyTo: null };
const values = (more = {}) => ({ body: "Hello", author_name: "", author_email: "", author_website: "",
  notify_replies: false, website_url: "", ...more });

describe("commentPayload", () => {
  it("sends the body as typed and the empty honeypot, nothing else by default", () => {
    assert.deepEqual(commentPayload(values({ body: "  *Hi*\n" }), rules), { body: "  *Hi*\n", website_url: "" });
  });

  it("trims the author's fields and leaves out blank ones", () => {
    const payload = commentPayload(values({ author_name: "  Ada ", author_email: " \t", author_website: " https://a.example " }), rules);
    assert.deepEqual(payload, { body: "Hello", website_url: "", author_name: "Ada", author_website: "https://a.example" });
  });

  it("sends no author fields for a signed-in reader, whose account names them", () => {
    const payload = commentPayload(values({ author_name: "Eve", author_email: "e@example.com" }), { ...rules, signedIn: true });
    assert.deepEqual(Object.keys(payload).sort(), ["body", "website_url"]);
  });

  it("passes on what a robot put in the honeypot, for the server to refuse", () => {
    assert.equal(commentPayload(values({ website_url: "http://spam.example" }), rules).website_url, "http://spam.example");
  });

  it("asks for reply notices only when ticked, and names the parent of a reply", () => {
    assert.equal(commentPayload(values(), rules).notify_replies, undefined);
    const payload = commentPayload(values({ notify_replies: true }), { ...rules, replyTo: "c-1" });
    assert.equal(payload.notify_replies, true);
    assert.equal(payload.parent_id, "c-1");
  });

  it("keeps odd Unicode in a name as the reader typed it, trimmed only at the ends", () => {
    const name = "\u202eAda\u200d 👩‍💻";
    assert.equal(commentPayload(values({ author_name: ` ${name} ` }), rules).author_name, name);
  });
});
