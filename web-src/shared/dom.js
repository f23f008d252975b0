/* The one DOM helper of the widget and the console: h(tag, props, ...children).
 *
 * Safety rule: strings among the children become text nodes, `text` sets textContent, and an `on…` prop
 * must be a function (a listener); a string there would be an inline handler, code from data, so it is
 * refused. Nothing here ever sets HTML.
 */

/** An element with text, attributes and listeners; strings among the children become text nodes. */
export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") element.textContent = value;
    else if (name === "class") element.className = value;
    else if (name.startsWith("on")) {
      if (typeof value !== "function") throw new TypeError(`h(): ${name} must be a function`);
      element.addEventListener(name.slice(2), value);
    } else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) element.append(child);
  }
  return element;
}

/** An http(s) URL as the browser reads it, or null: links are made from nothing else (no javascript:). */
export function httpUrl(raw) {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}
