/* Themes: light or dark as chosen, or in auto the site's own and the reader's system's, watched (no polling). */

const THEMES = ["light", "dark", "auto"];
const following = new Set(); // the widgets in "auto"
let watching = false;

/** light or dark from what a page says, first to last: its toggle's data-theme on <html>, a "dark" or "light"
 * class there, its CSS color-scheme (one scheme only), else the reader's system preference. */
export function themeOf({ named, classes, scheme, prefersDark }) {
  const chosen = String(named || "").toLowerCase();
  if (chosen === "light" || chosen === "dark") return chosen;
  if (classes.includes("dark")) return "dark";
  if (classes.includes("light")) return "light";
  const only = /^(?:only\s+)?(light|dark)$/.exec(String(scheme || "").trim());
  if (only) return only[1];
  return prefersDark ? "dark" : "light";
}

function siteTheme() {
  const root = document.documentElement;
  return themeOf({ named: root.dataset.theme, classes: [...root.classList], scheme: getComputedStyle(root).colorScheme,
    prefersDark: matchMedia("(prefers-color-scheme: dark)").matches });
}

function follow() {
  const theme = siteTheme();
  for (const section of following) {
    if (section.isConnected) section.dataset.bcTheme = theme;
    else following.delete(section);
  }
}

/** A widget's theme: light or dark as chosen, or in auto the site's and the system's, watched (no polling). */
export function themed(section, theme) {
  if (!THEMES.includes(theme)) return; // the page's own colours, as before themes
  if (theme !== "auto") {
    section.dataset.bcTheme = theme;
    return;
  }
  following.add(section);
  section.dataset.bcTheme = siteTheme();
  if (watching) return;
  watching = true;
  new MutationObserver(follow).observe(document.documentElement,
    { attributes: true, attributeFilter: ["class", "data-theme", "style"] });
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", follow);
}
