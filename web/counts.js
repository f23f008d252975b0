/* Comment counts on index pages: every element with data-comment-count="<slug>" gets its
 * post's count as text ("No comments", "1 comment", "5 comments"), in the page's language.
 *
 *   <a href="/2026/11/my-post.html#comments" data-comment-count="my-post"></a>
 *   (or data-comment-count="https://blog.example/2026/11/my-post.html": the slug is read from it)
 *   <script src="https://YOUR-API/counts.js" async></script>
 *
 * One GET /counts request per 100 posts; the words come from the widget's catalogues
 * (/i18n/<lang>.json; English built in). Options on the tag: data-api, data-lang.
 * Pages that add elements later call BlogCommentCounts.refresh(). Counts are set as text.
 */
(() => {
  "use strict";

  const script = document.currentScript || document.querySelector('script[src$="counts.js"]');
  const api = new URL(script?.dataset.api || ".", script ? script.src : location.href).href.replace(/\/+$/, "");
  const EN = { 0: "No comments", one: "{n} comment", other: "{n} comments" };
  const LANGS = ["en", "ar", "de", "es", "fr", "he", "ja", "pt", "ru", "zh"];

  // The widget's order: data-lang, the page's <html lang>, the browser's languages, English.
  let lang = "en";
  let locale = "en";
  for (const wish of [script?.dataset.lang, document.documentElement.lang, ...(navigator.languages || [])]) {
    const tag = String(wish || "").replace(/_/g, "-");
    if (!LANGS.includes(tag.toLowerCase().split("-")[0])) continue;
    lang = tag.toLowerCase().split("-")[0];
    try {
      locale = Intl.getCanonicalLocales(tag)[0];
    } catch {
      locale = lang;
    }
    break;
  }

  let words;
  function catalogue() {
    words ||= lang === "en" ? Promise.resolve(EN) : fetch(`${api}/i18n/${lang}.json`)
      .then((response) => response.json()).then((messages) => messages.count || EN).catch(() => EN);
    return words;
  }

  // A slug, or a post's address (Blogger's data:post.url): its last path segment without ".html",
  // as the widget reads a page's own address.
  const slugOf = (value) => (value || "").split(/[?#]/)[0].replace(/\/+$/, "").split("/").pop()
    .replace(/\.html?$/, "");

  async function refresh() {
    const elements = [...document.querySelectorAll("[data-comment-count]")];
    const slugs = [...new Set(elements.map((element) => slugOf(element.dataset.commentCount)).filter(Boolean))];
    const counts = {};
    const asked = [];
    for (let i = 0; i < slugs.length; i += 100) {
      const query = slugs.slice(i, i + 100).map(encodeURIComponent).join(",");
      asked.push(fetch(`${api}/counts?posts=${query}`).then((response) => response.json())
        .then((data) => Object.assign(counts, data.counts)).catch(() => null));
    }
    const [table] = await Promise.all([catalogue(), ...asked]);
    const plural = new Intl.PluralRules(locale);
    const number = new Intl.NumberFormat(locale);
    for (const element of elements) {
      const n = counts[slugOf(element.dataset.commentCount)];
      if (typeof n !== "number") continue; // unknown to the API or not reached: the page's own text stays
      const text = (n === 0 && table[0]) || table[plural.select(n)] || table.other;
      element.textContent = text.replace("{n}", number.format(n));
      element.lang = locale;
    }
  }

  window.BlogCommentCounts = { refresh };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", refresh);
  else refresh();
})();
