// The widget's API client against a real HTTP server: refusals (problem+json) in the reader's words, cursors.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";

import { call, pageQuery, Refusal } from "../widget/api.js";
import { EN, words } from "../widget/i18n.js";

const t = words("en", "en", EN);
let base;
let server;
const seen = [];

// Each path answers as the API would for one case.
const ANSWERS = {
  "/ok": [200, { "Content-Type": "application/json" }, '{"items":[],"next_cursor":null}'],
  "/created": [201, { "Content-Type": "application/json" }, '{"comment":{"id":"c1"}}'],
  "/gone": [204, {}, ""],
  "/invalid": [422, { "Content-Type": "application/problem+json" },
    '{"title":"Unprocessable","detail":"the comment is not valid","errors":{"body":["must not be blank"]}}'],
  "/slow-down": [429, { "Content-Type": "application/problem+json", "Retry-After": "120" }, '{"detail":"too many"}'],
  "/broken": [502, { "Content-Type": "text/html" }, "<h1>Bad gateway</h1>"],
  "/ended": [409, { "Content-Type": "application/problem+json" }, '{"detail":"Already used!"}'],
};

before(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => { body += chunk; });
    request.on("end", () => {
      seen.push({ method: request.method, url: request.url, headers: request.headers, body });
      const [status, headers, text] = ANSWERS[new URL(request.url, "http://x").pathname] || [404, {}, ""];
      response.writeHead(status, headers).end(text);
    });
  });
  await new Promise((resolve) => { server.listen(0, "127.0.0.1", resolve); });
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

describe("call", () => {
  it("returns the status and the JSON of an answer that succeeds", async () => {
    assert.deepEqual(await call(t, base, "GET", "/ok"), { status: 200, data: { items: [], next_cursor: null } });
    assert.equal((await call(t, base, "POST", "/created", { body: { x: 1 } })).status, 201);
  });

  it("sends a body as JSON with its type, and the caller's headers", async () => {
    await call(t, base, "POST", "/created", { body: { body: "Hi ✓" }, headers: { "Idempotency-Key": "k1" } });
    const sent = seen.at(-1);
    assert.equal(sent.headers["content-type"], "application/json");
    assert.equal(sent.headers["idempotency-key"], "k1");
    assert.deepEqual(JSON.parse(sent.body), { body: "Hi ✓" });
    assert.equal(sent.headers.authorization, undefined); // nobody signed in
  });

  it("reads a 204 as no data", async () => {
    assert.deepEqual(await call(t, base, "DELETE", "/gone"), { status: 204, data: null });
  });

  it("turns a problem into a Refusal with the server's detail as a sentence and its fields", async () => {
    const refusal = await call(t, base, "POST", "/invalid", { body: {} }).catch((error) => error);
    assert.ok(refusal instanceof Refusal);
    assert.equal(refusal.status, 422);
    assert.equal(refusal.message, "The comment is not valid.");
    assert.deepEqual(refusal.fields, { body: ["must not be blank"] });
    assert.equal(refusal.retryAfter, null);
  });

  it("keeps a detail's own end mark", async () => {
    const refusal = await call(t, base, "POST", "/ended").catch((error) => error);
    assert.equal(refusal.message, "Already used!");
    assert.deepEqual(refusal.fields, {});
  });

  it("says how long to wait when the server says slow down, in the reader's language", async () => {
    const refusal = await call(words("de", "de", { tooFast: "Warten Sie {wait}." }), base, "POST", "/slow-down")
      .catch((error) => error);
    assert.equal(refusal.status, 429);
    assert.equal(refusal.retryAfter, 120);
    assert.equal(refusal.message, "Warten Sie 2 Minuten.");
  });

  it("names the status when the answer is not a problem", async () => {
    const refusal = await call(t, base, "GET", "/broken").catch((error) => error);
    assert.equal(refusal.status, 502);
    assert.equal(refusal.message, "The server answered 502.");
  });

  it("says the server could not be reached when nothing answers", async () => {
    const refusal = await call(t, "http://127.0.0.1:9", "GET", "/ok").catch((error) => error);
    assert.equal(refusal.status, 0);
    assert.equal(refusal.message, EN.unreachable);
  });
});

describe("pageQuery", () => {
  it("asks for the first page without a cursor", () => {
    assert.equal(pageQuery("newest", 300), "?sort=newest&limit=300");
  });

  it("sends an opaque cursor back whole, encoded", () => {
    const cursor = "eyJhIjoiYi9jK2Q9In0=&sort=score";
    const query = new URLSearchParams(pageQuery("oldest", 300, cursor).slice(1));
    assert.equal(query.get("cursor"), cursor);
    assert.equal(query.get("sort"), "oldest");
    assert.equal([...query.keys()].length, 3);
  });
});
