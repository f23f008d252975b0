/* The console's routes, without the page: which sections there are, who may open them, and what an address
 * (#section/rest?query) asks for. Pure, so the unit tests read it without a browser (web-src/tests/). */

// [address, label, the least role that opens it]; edit/<slug> and thread/<slug> are an author's too, and
// search?q=… (comment search, from the moderation view) an admin's.
export const SECTIONS = [
  ["#posts", "Posts", "author"], ["#new", "New post", "author"], ["#queue", "Moderation", "author"],
  ["#recent", "Recent comments", "admin"], ["#audit", "Audit trail", "admin"], ["#people", "People", "admin"], ["#bans", "Bans", "admin"],
  ["#settings", "Settings", "admin"], ["#costs", "Costs", "admin"], ["#account", "Account", "author"],
];
const UNLISTED = new Map([["edit", "author"], ["thread", "author"], ["search", "admin"]]);

/** Whether a user of ``role`` may open what ``needs`` (author or admin): admins everything, readers nothing. */
export function mayOpen(role, needs) {
  return role === "admin" || (role === "author" && needs === "author");
}

/** The sections a user of ``role`` sees in the navigation. */
export function sectionsFor(role) {
  return SECTIONS.filter(([, , needs]) => mayOpen(role, needs));
}

/** What an address asks for: {section, rest (decoded), params}; the post list when it names nothing ``role`` may open. */
export function resolve(hash, role) {
  const [path, raw] = String(hash || "").replace(/^#/, "").split("?");
  const params = Object.fromEntries(new URLSearchParams(raw || ""));
  const [section, ...parts] = path.split("/");
  const needs = SECTIONS.find(([href]) => href === `#${section}`)?.[2] || UNLISTED.get(section);
  if (!needs || !mayOpen(role, needs)) return { section: "posts", rest: "", params };
  let rest = parts.join("/");
  try {
    rest = decodeURIComponent(rest);
  } catch {
    return { section: "posts", rest: "", params }; // a malformed %-escape names nothing
  }
  return { section, rest, params };
}
