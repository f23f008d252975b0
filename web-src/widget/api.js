/* The API client: one fetch per call; a refusal (problem+json) becomes a Refusal in the reader's words. */

import { readerSession, setReaderSession } from "./session.js";

export class Refusal extends Error {
  constructor(status, message, fields, retryAfter) {
    super(message);
    this.status = status;
    this.fields = fields || {};
    this.retryAfter = retryAfter;
  }
}

export async function call(t, base, method, path, { body, headers } = {}) {
  const init = { method, headers: { ...(headers || {}) } };
  // Reads stay anonymous (and cacheable); what a reader writes is signed with their token.
  const signed = method !== "GET" && readerSession();
  if (signed) init.headers.Authorization = `Bearer ${signed.token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(base + path, init);
  } catch {
    throw new Refusal(0, t("unreachable"));
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.ok) return { status: response.status, data };
  if (response.status === 401 && signed) setReaderSession(null); // revoked or expired: signed out here too
  const wait = Number.parseInt(response.headers.get("Retry-After") || "", 10);
  // The server's own detail is English; the widget's texts around it are in the page's language.
  let message = (data && typeof data.detail === "string" && data.detail) || t("answered", { status: response.status });
  message = message.charAt(0).toUpperCase() + message.slice(1);
  if (!/[.!?]$/.test(message)) message += ".";
  if (response.status === 429 && wait > 0) {
    // The wait comes from Retry-After, whichever limit refused (rate window or a form sent too soon).
    message = t("tooFast", { wait: t.wait(wait) });
  }
  throw new Refusal(response.status, message, data && data.errors, wait > 0 ? wait : null);
}

/** The query of one page of a thread's comments: its order, its size, and the opaque cursor where the last
 * page ended (sent back as it came, encoded; none for the first page). */
export function pageQuery(sort, limit, cursor) {
  const query = new URLSearchParams({ sort, limit: String(limit) });
  if (cursor) query.set("cursor", cursor);
  return `?${query}`;
}
