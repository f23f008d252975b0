/* The console's core: the page's places, the signed-in user, the API client (problem+json) and small helpers. */

import { sessionEnded } from "./session.js";
import { h } from "../shared/dom.js";

/** The signed-in user ({username, role, …}) and the current view's teardown (keyboard handlers). */
export const state = { me: null, view: null };

export const API = (document.body.dataset.api || "").replace(/\/$/, "");
export const TOKEN_KEY = "blog-console-token";
export const RETURN_KEY = "blog-console-return";
export const DRAFT_PREFIX = "blog-console-draft:";
export const main = document.getElementById("main");
export const nav = document.getElementById("nav");
export const who = document.getElementById("who");
export const live = document.getElementById("live");


// The API's sanitised HTML, parsed inert (a template runs nothing) and moved in.
export function trusted(html) {
  const template = document.createElement("template");
  template.innerHTML = html || "";
  const box = h("div", { class: "rendered" });
  box.append(template.content);
  return box;
}

export function announce(message) {
  live.textContent = "";
  window.setTimeout(() => { live.textContent = message; }, 30);
}

export function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function store(kind) {
  try { return window[kind]; } catch { return null; }
}

export function token() { return store("sessionStorage")?.getItem(TOKEN_KEY) || memoryToken; }
export let memoryToken = null;
export function setToken(value) {
  memoryToken = value;
  try {
    if (value) store("sessionStorage").setItem(TOKEN_KEY, value);
    else store("sessionStorage").removeItem(TOKEN_KEY);
  } catch { /* memory only */ }
}

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `The API answered ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export async function api(method, path, body, headers) {
  const sent = { ...(headers || {}) };
  if (token()) sent.Authorization = `Bearer ${token()}`;
  if (body !== undefined) sent["Content-Type"] = "application/json";
  const reply = await fetch(API + path, {
    method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit", cache: "no-store",
  });
  const text = await reply.text();
  const data = text ? JSON.parse(text) : null;
  if (reply.status === 401 && token()) {
    sessionEnded();
    throw new ApiError(401, data);
  }
  if (!reply.ok) throw new ApiError(reply.status, data);
  return { data, etag: reply.headers.get("ETag") };
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

export function problemText(error) {
  if (!(error instanceof ApiError)) return "The API could not be reached. Try again.";
  const fields = Object.entries(error.problem.errors || {}).map(([k, v]) => `${k}: ${v.join(", ")}`);
  return [error.message, ...fields].join(" — ");
}

export function failure(error, where) {
  const alert = h("p", { class: "error", role: "alert", text: problemText(error) });
  (where || main).prepend(alert);
  return alert;
}
