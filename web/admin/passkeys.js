// The console's passkeys: "Sign in with a passkey" on the sign-in form, and the Account page's list of one's
// passkeys (add, remove). admin.js calls window.BlogConsolePasskeys with its own API helper, so the token and
// its handling stay there. Each ceremony is two requests: options (a single-use challenge), then the browser's
// answer (docs/console.md, Passkeys). Text from the API is set as text.
"use strict";

(() => {
  const toBytes = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const toText = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const described = (list) => (list || []).map((c) => ({ ...c, id: toBytes(c.id) }));

  /** The credential as the API takes it (what PublicKeyCredential.toJSON() gives, where a browser has it). */
  function asJSON(credential) {
    const r = credential.response;
    const response = { clientDataJSON: toText(r.clientDataJSON) };
    for (const name of ["attestationObject", "authenticatorData", "signature", "userHandle"]) {
      if (r[name]) response[name] = toText(r[name]);
    }
    return { id: credential.id, rawId: toText(credential.rawId), type: credential.type, response };
  }

  const supported = () => Boolean(window.PublicKeyCredential && navigator.credentials);

  /** A button for the sign-in form; ``signedIn(data)`` gets the session, as a password sign-in's. */
  function signInButton({ api, h, problemText, status, signedIn }) {
    if (!supported()) return null;
    const button = h("button", { type: "button", class: "secondary", text: "Sign in with a passkey",
      onclick: async () => {
        status.textContent = "";
        button.disabled = true;
        try {
          const { data: started } = await api("POST", "/auth/passkey-sign-in/options");
          const o = started.publicKey;
          let credential;
          try {
            credential = await navigator.credentials.get({ publicKey: { ...o, challenge: toBytes(o.challenge),
              allowCredentials: described(o.allowCredentials) } });
          } catch {
            status.textContent = "No passkey was used.";
            return;
          }
          const { data } = await api("POST", "/auth/passkey-sign-in",
            { ceremony: started.ceremony, credential: asJSON(credential) });
          signedIn(data);
        } catch (error) {
          status.textContent = problemText(error);
        } finally {
          button.disabled = false;
        }
      } });
    return button;
  }

  /** The Account page's card: one's passkeys, each removable, and a form to add one. */
  function section({ api, h, problemText, when, announce }) {
    const list = h("ul", { class: "passkeys" });
    const status = h("p", { role: "status" });
    const name = h("input", { id: "passkey-name", type: "text", maxlength: 64, value: "Passkey", required: true });

    async function load() {
      try {
        const items = [];
        let cursor = "";
        do {
          const { data } = await api("GET", `/auth/passkeys${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`);
          items.push(...data.items);
          cursor = data.next_cursor;
        } while (cursor);
        list.replaceChildren(...items.map(row));
        if (!items.length) list.replaceChildren(h("li", { text: "No passkey yet." }));
      } catch (error) {
        status.textContent = problemText(error);
      }
    }

    function row(passkey) {
      const used = passkey.last_used_at ? `last used ${when(passkey.last_used_at)}` : "not used yet";
      return h("li", {}, h("span", { text: `${passkey.name}, added ${when(passkey.created_at)}, ${used} ` }),
        h("button", { type: "button", text: "Remove", "aria-label": `Remove the passkey ${passkey.name}`,
          onclick: async () => {
            try {
              await api("DELETE", `/auth/passkeys/${encodeURIComponent(passkey.id)}`);
              announce(`Passkey ${passkey.name} removed.`);
              await load();
            } catch (error) {
              status.textContent = problemText(error);
            }
          } }));
    }

    const form = h("form", { onsubmit: async (event) => {
      event.preventDefault();
      status.textContent = "";
      try {
        const { data: started } = await api("POST", "/auth/passkey-registration/options");
        const o = started.publicKey;
        let credential;
        try {
          credential = await navigator.credentials.create({ publicKey: { ...o, challenge: toBytes(o.challenge),
            user: { ...o.user, id: toBytes(o.user.id) }, excludeCredentials: described(o.excludeCredentials) } });
        } catch {
          status.textContent = "No passkey was added.";
          return;
        }
        await api("POST", "/auth/passkeys", { ceremony: started.ceremony, name: name.value.trim(),
          credential: asJSON(credential) });
        announce("Passkey added.");
        status.textContent = "Passkey added: sign in with it next time.";
        await load();
      } catch (error) {
        status.textContent = problemText(error);
      }
    } },
    h("label", { for: "passkey-name", text: "Name of a new passkey" }), name, " ",
    h("button", { type: "submit", text: "Add a passkey", disabled: !supported() }));

    load();
    return h("section", { class: "card", "aria-labelledby": "passkeys-title" },
      h("h2", { id: "passkeys-title", text: "Passkeys" }),
      h("p", { class: "meta", text: "Sign in with your device instead of a password. Adding one needs a sign-in "
        + "within the last 15 minutes." }), list, form, status);
  }

  window.BlogConsolePasskeys = { signInButton, section };
})();
