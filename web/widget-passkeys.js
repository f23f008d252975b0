/* Passkeys in the comment widget: "Sign in with a passkey" for a signed-out reader, "Add a passkey" for a
 * signed-in one. widget-account.js fetches this file only when the account line is drawn in a browser that has
 * passkeys (window.PublicKeyCredential), so other readers never download it. Each ceremony is two requests:
 * options from the API (a single-use challenge), then the browser's answer (docs/widget.md, Passkeys).
 *
 * Same safety rule as widget.js: names and messages are set as text, never as HTML.
 */
(() => {
  "use strict";

  const EN = {
    signInPasskey: "Sign in with a passkey",
    addPasskey: "Add a passkey",
    passkeyAdded: "Passkey added: next time, sign in with it on this device.",
    passkeyCancelled: "No passkey was used.",
    signingIn: "Signing you in…",
    signedInAs: "Signed in as {name}",
  };
  const WORDS = {
    ar: { signInPasskey: "تسجيل الدخول بمفتاح مرور", addPasskey: "إضافة مفتاح مرور", passkeyAdded: "أُضيف مفتاح المرور: في المرة القادمة سجّل الدخول به على هذا الجهاز.", passkeyCancelled: "لم يُستخدم أي مفتاح مرور.", signingIn: "جارٍ تسجيل الدخول…", signedInAs: "تم تسجيل الدخول باسم {name}" },
    de: { signInPasskey: "Mit Passkey anmelden", addPasskey: "Passkey hinzufügen", passkeyAdded: "Passkey hinzugefügt: Melden Sie sich nächstes Mal auf diesem Gerät damit an.", passkeyCancelled: "Es wurde kein Passkey verwendet.", signingIn: "Sie werden angemeldet…", signedInAs: "Angemeldet als {name}" },
    es: { signInPasskey: "Iniciar sesión con una llave de acceso", addPasskey: "Añadir una llave de acceso", passkeyAdded: "Llave de acceso añadida: la próxima vez, inicia sesión con ella en este dispositivo.", passkeyCancelled: "No se usó ninguna llave de acceso.", signingIn: "Iniciando sesión…", signedInAs: "Sesión iniciada como {name}" },
    fr: { signInPasskey: "Se connecter avec une clé d'accès", addPasskey: "Ajouter une clé d'accès", passkeyAdded: "Clé d'accès ajoutée : la prochaine fois, connectez-vous avec elle sur cet appareil.", passkeyCancelled: "Aucune clé d'accès n'a été utilisée.", signingIn: "Connexion en cours…", signedInAs: "Connecté en tant que {name}" },
    he: { signInPasskey: "כניסה עם מפתח גישה", addPasskey: "הוספת מפתח גישה", passkeyAdded: "מפתח הגישה נוסף: בפעם הבאה היכנסו איתו במכשיר הזה.", passkeyCancelled: "לא נעשה שימוש במפתח גישה.", signingIn: "מתבצעת כניסה…", signedInAs: "מחובר/ת בתור {name}" },
    ja: { signInPasskey: "パスキーでログイン", addPasskey: "パスキーを追加", passkeyAdded: "パスキーを追加しました。次回からこの端末ではパスキーでログインできます。", passkeyCancelled: "パスキーは使用されませんでした。", signingIn: "ログインしています…", signedInAs: "{name} としてログイン中" },
    pt: { signInPasskey: "Entrar com uma chave de acesso", addPasskey: "Adicionar uma chave de acesso", passkeyAdded: "Chave de acesso adicionada: da próxima vez, entre com ela neste dispositivo.", passkeyCancelled: "Nenhuma chave de acesso foi usada.", signingIn: "Entrando…", signedInAs: "Conectado como {name}" },
    ru: { signInPasskey: "Войти с ключом доступа", addPasskey: "Добавить ключ доступа", passkeyAdded: "Ключ доступа добавлен: в следующий раз входите с ним на этом устройстве.", passkeyCancelled: "Ключ доступа не был использован.", signingIn: "Выполняется вход…", signedInAs: "Вы вошли как {name}" },
    zh: { signInPasskey: "使用通行密钥登录", addPasskey: "添加通行密钥", passkeyAdded: "已添加通行密钥：下次可在此设备上用它登录。", passkeyCancelled: "未使用任何通行密钥。", signingIn: "正在登录…", signedInAs: "已登录为 {name}" },
  };

  function words(lang) {
    const messages = WORDS[lang] || {};
    return (key, values = {}) => (messages[key] ?? EN[key]).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
  }

  // --- WebAuthn's binary fields as base64url, the API's JSON form of them ---

  const toBytes = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const toText = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const described = (list) => (list || []).map((c) => ({ ...c, id: toBytes(c.id) }));

  function creationOptions(o) {
    return { ...o, challenge: toBytes(o.challenge), user: { ...o.user, id: toBytes(o.user.id) },
      excludeCredentials: described(o.excludeCredentials) };
  }

  function requestOptions(o) {
    return { ...o, challenge: toBytes(o.challenge), allowCredentials: described(o.allowCredentials) };
  }

  /** The credential as the API takes it (what PublicKeyCredential.toJSON() gives, where a browser has it). */
  function asJSON(credential) {
    const r = credential.response;
    const response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) response.attestationObject = toText(r.attestationObject);
    if (r.authenticatorData) response.authenticatorData = toText(r.authenticatorData);
    if (r.signature) response.signature = toText(r.signature);
    if (r.userHandle) response.userHandle = toText(r.userHandle);
    return { id: credential.id, rawId: toText(credential.rawId), type: credential.type, response };
  }

  /** One ceremony: options, the browser's dialog, the answer. A dismissed dialog says so and changes nothing. */
  async function ceremony(thread, say, start, finish, ask) {
    const { data: started } = await thread.call("POST", start);
    let credential;
    try {
      credential = await ask(started.publicKey);
    } catch {
      thread.accountStatus.textContent = say("passkeyCancelled");
      return null;
    }
    return (await thread.call("POST", finish.path, { body: { ...finish.body, ceremony: started.ceremony,
      credential: asJSON(credential) } })).data;
  }

  async function signIn(thread, env, button) {
    const say = words(thread.t.lang);
    button.setAttribute("aria-busy", "true");
    try {
      const data = await ceremony(thread, say, "/auth/passkey-sign-in/options", { path: "/auth/passkey-sign-in" },
        (o) => navigator.credentials.get({ publicKey: requestOptions(o) }));
      if (!data) return;
      env.setReaderSession({ token: data.token, username: data.user.username, email: data.user.email });
      thread.accountStatus.textContent = say("signedInAs", { name: data.user.username });
    } catch (error) {
      thread.accountStatus.textContent = error.message;
    } finally {
      button.removeAttribute("aria-busy");
    }
  }

  async function add(thread, button) {
    const say = words(thread.t.lang);
    button.setAttribute("aria-busy", "true");
    try {
      const name = `${navigator.platform || "Passkey"} (${new Date().toISOString().slice(0, 10)})`.slice(0, 64);
      const data = await ceremony(thread, say, "/auth/passkey-registration/options",
        { path: "/auth/passkeys", body: { name } },
        (o) => navigator.credentials.create({ publicKey: creationOptions(o) }));
      if (data) thread.accountStatus.textContent = say("passkeyAdded");
    } catch (error) {
      thread.accountStatus.textContent = error.message;
    } finally {
      button.removeAttribute("aria-busy");
    }
  }

  /** The passkey button of the account line: sign in (signed out) or add one (signed in). */
  function button(thread, env, signedIn) {
    const say = words(thread.t.lang);
    const b = env.h("button", { type: "button", class: "bc-passkey", text: say(signedIn ? "addPasskey" : "signInPasskey") });
    b.addEventListener("click", () => {
      if (b.getAttribute("aria-busy")) return;
      if (signedIn) add(thread, b);
      else signIn(thread, env, b);
    });
    return b;
  }

  window.BlogComments.passkeys = { button };
})();
