/* Sign-in with OpenID Connect (Google, Microsoft, Keycloak… whatever the stage's OIDC_PROVIDERS names), for the
 * comment widget and the console. Fetched only when a reader opens the sign-in (widget-account.js asks for it), or
 * comes back from a provider (the fragment #blog-oidc=<hand-off>), so readers who never sign in never download it.
 *
 * The provider's page is reached by a plain navigation to the API's /auth/oidc/<name>/start, which sets the
 * cookie binding the sign-in to this browser and redirects; the provider sends the browser back to the API, which
 * sends it here with a single-use hand-off in the fragment (never sent to a server, gone from the address bar at
 * once). The hand-off is traded for a session with one POST; the session is kept where each page keeps its own
 * (sessionStorage), never in localStorage.
 *
 * Same safety rule as widget.js: names and messages are set as text, never as HTML.
 */
(() => {
  "use strict";

  const EN = { signInWith: "Sign in with {name}", signingIn: "Signing you in…", signedInAs: "Signed in as {name}" };
  // The widget's other languages.
  const WORDS = {
    ar: { signInWith: "تسجيل الدخول عبر {name}", signingIn: "جارٍ تسجيل الدخول…", signedInAs: "تم تسجيل الدخول باسم {name}" },
    de: { signInWith: "Mit {name} anmelden", signingIn: "Sie werden angemeldet…", signedInAs: "Angemeldet als {name}" },
    es: { signInWith: "Iniciar sesión con {name}", signingIn: "Iniciando sesión…", signedInAs: "Sesión iniciada como {name}" },
    fr: { signInWith: "Se connecter avec {name}", signingIn: "Connexion en cours…", signedInAs: "Connecté en tant que {name}" },
    he: { signInWith: "כניסה עם {name}", signingIn: "מתבצעת כניסה…", signedInAs: "מחובר/ת בתור {name}" },
    ja: { signInWith: "{name} でログイン", signingIn: "ログインしています…", signedInAs: "{name} としてログイン中" },
    pt: { signInWith: "Entrar com {name}", signingIn: "Entrando…", signedInAs: "Conectado como {name}" },
    ru: { signInWith: "Войти через {name}", signingIn: "Выполняется вход…", signedInAs: "Вы вошли как {name}" },
    zh: { signInWith: "使用 {name} 登录", signingIn: "正在登录…", signedInAs: "已登录为 {name}" },
  };

  function words(lang) {
    const messages = WORDS[lang] || {};
    return (key, values = {}) => (messages[key] ?? EN[key]).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
  }

  /** The page as it stands, without a fragment: where the provider's answer comes back to. */
  function here() {
    return window.location.href.split("#")[0];
  }

  /** The stage's providers ([{name, display_name}]); none when the API cannot say. */
  async function providers(base) {
    try {
      const response = await fetch(`${base}/auth/oidc/providers`);
      return response.ok ? (await response.json()).providers : [];
    } catch {
      return [];
    }
  }

  /** A button per provider: each leaves the page for the provider, by way of the API's start. */
  function buttons(h, list, say) {
    return list.map((provider) => h("button", { type: "button", class: "bc-oidc",
      text: say("signInWith", { name: provider.display_name }),
      onclick: () => { window.location.assign(startUrl(base(), provider.name)); } }));
  }

  let apiBase = "";
  function base() {
    return apiBase;
  }

  function startUrl(api, name) {
    return `${api}/auth/oidc/${encodeURIComponent(name)}/start?return_to=${encodeURIComponent(here())}`;
  }

  /** The hand-off traded for a session: {token, user}; a refusal throws with the server's detail. */
  async function session(api, handoff) {
    const response = await fetch(`${api}/auth/oidc/session`, { method: "POST",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ handoff }) });
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new Error((data && data.detail) || `The server answered ${response.status}.`);
    return data;
  }

  /** The widget: provider buttons placed before ``form`` (the e-mail form of widget-account.js). */
  async function offer(thread, env, form) {
    apiBase = thread.base;
    const list = await providers(thread.base);
    if (!list.length || !form.isConnected) return;
    const say = words(thread.t.lang);
    form.before(group(env.h, buttons(env.h, list, say)));
  }

  function group(h, children) {
    return h("div", { class: "bc-oidc-providers" }, ...children);
  }

  /** The widget, back from a provider: the hand-off traded for the reader's session. */
  async function finish(thread, env, handoff) {
    const say = words(thread.t.lang);
    thread.accountStatus.textContent = say("signingIn");
    try {
      const data = await session(thread.base, handoff);
      env.setReaderSession({ token: data.token, username: data.user.username, email: data.user.email });
      thread.accountStatus.textContent = say("signedInAs", { name: data.user.username });
    } catch (error) {
      thread.accountStatus.textContent = error.message;
      thread.renderAccount();
    }
  }

  /** The console: the same buttons under its password form, and the hand-off traded for its token. */
  const forConsole = {
    async offer(h, api, container) {
      apiBase = api;
      const list = await providers(api);
      if (list.length) container.append(group(h, buttons(h, list, words("en"))));
    },
    session,
  };

  window.BlogComments = window.BlogComments || {};
  window.BlogComments.oidc = { offer, finish, console: forConsole };
})();
