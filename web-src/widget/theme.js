/* Themes: light or dark as chosen, or in auto the site's own and the reader's system's, watched (no polling). */

const THEMES = ["light", "dark", "auto"];
const following = new Set(); // the widgets in "auto"
let watching = false;

/** light or dark: what the site's own toggle says on <html>, else what the reader's system prefers. */
function siteTheme() {
  const root = document.documentElement;
  const named = (root.dataset.theme || "").toLowerCase();
  if (named === "light" || named === "dark") return named;
  if (root.classList.contains("dark")) return "dark";
  if (root.classList.contains("light")) return "light";
  const scheme = /^(?:only\s+)?(light|dark)$/.exec(getComputedStyle(root).colorScheme.trim());
  if (scheme) return scheme[1];
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
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
