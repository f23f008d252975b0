/* What this browser keeps for the reader: a voter token, edit tokens, votes, reactions, the author's fields. */

export function randomToken() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** localStorage, or memory for this visit where storage is refused (private windows, blocked
 * cookies): a reader's voter token and edit tokens must hold at least until they leave the page. */
const memory = new Map();
export const storage = {
  get(key) {
    try {
      const kept = localStorage.getItem(`blog-comments:${key}`);
      if (kept !== null) return JSON.parse(kept);
    } catch {
      /* refused or unreadable: memory below */
    }
    return memory.has(key) ? memory.get(key) : null;
  },
  set(key, value) {
    memory.set(key, value);
    try {
      localStorage.setItem(`blog-comments:${key}`, JSON.stringify(value));
    } catch {
      /* kept in memory only */
    }
  },
  remove(key) {
    memory.delete(key);
    try {
      localStorage.removeItem(`blog-comments:${key}`);
    } catch {
      /* nothing stored there */
    }
  },
};

export function voterToken() {
  let token = storage.get("voter");
  if (typeof token !== "string") {
    token = randomToken();
    storage.set("voter", token);
  }
  return token;
}

/** The edit token of a comment this browser wrote, while its edit window is open. */
export function editToken(id) {
  const kept = storage.get(`edit:${id}`);
  if (!kept || typeof kept.token !== "string") return null;
  if (!(Date.parse(kept.expires) > Date.now())) {
    storage.remove(`edit:${id}`);
    return null;
  }
  return kept.token;
}
