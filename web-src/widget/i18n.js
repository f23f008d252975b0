/* Words: the language a page asks for, its catalogue, plurals, numbers and dates.
 *
 * English is built in (EN below); another language's catalogue is fetched from /i18n/<lang>.json when a page
 * needs it, with the same keys. A plural message maps Intl.PluralRules categories (and "0") to texts.
 * LANGS is checked against web/i18n/ by tests/test_languages.py: a catalogue added there is added here.
 */

export const EN = {
  count: { 0: "No comments", one: "{n} comment", other: "{n} comments" },
  comments: "Comments",
  loading: "Loading comments…",
  sort: "Sort",
  oldest: "Oldest first",
  newest: "Newest first",
  score: "Best first",
  more: "Load more comments",
  unreachable: "The comments server could not be reached. Check your connection and try again.",
  answered: "The server answered {status}.",
  tooFast: "You are sending comments faster than this blog allows. Please try again in {wait}.",
  noPost: "There is no post here to comment on.",
  deleted: "This comment was deleted.",
  anonymous: "Anonymous",
  edited: "(edited)",
  pinned: "Pinned",
  pending: "Awaiting moderation: only you can see this comment until it is approved.",
  like: "Like: {n}",
  dislike: "Dislike: {n}",
  reactions: "Reactions",
  react: "{emoji} {n}: react",
  reply: "Reply",
  replyTo: "Reply to {name}",
  replyToComment: "Reply to this comment",
  edit: "Edit",
  delete: "Delete",
  updated: "Your comment was updated.",
  editLabel: "Edit your comment",
  save: "Save",
  cancel: "Cancel",
  confirmDelete: "Delete this comment?",
  yesDelete: "Yes, delete it",
  keep: "Keep it",
  wasDeleted: "Your comment was deleted.",
  closed: "Comments are closed for this post.",
  noForm: "The comment form could not be loaded.",
  signedInOnly: "This blog takes comments from signed-in readers only.",
  publish: "Publish",
  publishing: "Publishing…",
  formTitle: "Post a Comment",
  body: "Comment",
  author_name: "Name",
  author_email: "Email",
  author_website: "Website",
  markdown: "Markdown works: *italic*, **bold**, [a link](https://…), `code`.",
  emailHint: "(optional, never shown; replies by e-mail ask you to confirm it first)",
  optional: "(optional)",
  notify: "E-mail me when someone replies (needs your email)",
  trap: "Leave this empty",
  modAll: "Comments appear after the blog's author approves them.",
  modFirst: "A first comment appears after the blog's author approves it.",
  replyingTo: "Replying to {name}",
  replyingToComment: "Replying to a comment",
  cancelReply: "Cancel reply",
  fixField: "Please correct the field marked below.",
  published: "Your comment was published.",
  held: "Thank you. Your comment is awaiting moderation.",
  write: "Write",
  preview: "Preview",
  previewEmpty: "Nothing to preview yet.",
  previewing: "Loading preview…",
  fieldError: "{field}: {message}",
  challenge: "Confirm you are a person",
  challengeNeeded: "Please complete the check above the Publish button, then publish again.",
  challengeFailed: "The check could not be loaded or completed. Please try again.",
  signInByMail: "Sign in by e-mail",
  verified: "verified",
  subscribe: "Follow this discussion by e-mail",
  subscribeAsked: "To follow this discussion, confirm with the link we sent to {email}.",
  fresh: { one: "{n} new comment", other: "{n} new comments" },
};

// The languages with a catalogue (web/i18n/), and those written right to left.
export const LANGS = ["en", "ar", "de", "es", "fr", "he", "ja", "pt", "ru", "zh"];
export const RTL = ["ar", "he"];

/** The first wish (data-lang, <html lang>, the browser's) the widget speaks: [catalogue, locale]. */
export function pickLanguage(wishes) {
  for (const wish of wishes) {
    const tag = String(wish || "").replace(/_/g, "-");
    const lang = tag.toLowerCase().split("-")[0];
    if (!LANGS.includes(lang)) continue;
    try {
      return [lang, Intl.getCanonicalLocales(tag)[0]];
    } catch {
      return [lang, lang]; // a malformed region or script: the language alone
    }
  }
  return ["en", "en"];
}

const catalogues = new Map();

/** A language's messages, fetched once per page (English needs no request); English if it fails. */
export function catalogue(base, lang) {
  if (lang === "en") return Promise.resolve(EN);
  const key = `${base}|${lang}`;
  if (!catalogues.has(key)) {
    catalogues.set(key, fetch(`${base}/i18n/${lang}.json`)
      .then((response) => (response.ok ? response.json() : EN))
      .catch(() => EN));
  }
  return catalogues.get(key);
}

/** t(key, values): a message in one language, its {names} filled, a plural chosen by values.n. */
export function words(lang, locale, messages) {
  const plural = new Intl.PluralRules(locale);
  const number = new Intl.NumberFormat(locale);
  const dates = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  const t = (key, values = {}) => {
    let text = messages[key] ?? EN[key];
    if (typeof text === "object") text = (values.n === 0 && text[0]) || text[plural.select(values.n)] || text.other;
    return text.replace(/\{(\w+)\}/g, (_, name) => (typeof values[name] === "number"
      ? number.format(values[name]) : String(values[name] ?? "")));
  };
  t.lang = lang;
  t.locale = locale;
  t.number = (n) => number.format(n);
  t.date = (iso) => dates.format(new Date(iso));
  // "3 hours ago" for the last four weeks, the date after that.
  t.ago = (iso) => {
    let seconds = (Date.parse(iso) - Date.now()) / 1000;
    for (const [unit, size] of [["second", 60], ["minute", 60], ["hour", 24], ["day", 28]]) {
      if (Math.abs(seconds) < size) return relative.format(Math.round(seconds), unit);
      seconds /= size;
    }
    return t.date(iso);
  };
  t.wait = (seconds) => new Intl.NumberFormat(locale, { style: "unit", unitDisplay: "long",
    unit: seconds < 90 ? "second" : "minute" }).format(seconds < 90 ? seconds : Math.ceil(seconds / 60));
  return t;
}
