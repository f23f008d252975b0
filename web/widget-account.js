/* The comment widget's sign-in by a mailed link, and a signed-in reader's line: widget.js fetches this file
 * only when a reader asks to sign in, is signed in, or comes back from a mailed link, so readers who never
 * sign in never download it. It draws into the thread's account line (thread.account) and says what happens
 * in its live region (thread.accountStatus); the reader's session is kept by widget.js (env.readerSession,
 * env.setReaderSession: sessionStorage, as the console keeps its own token).
 *
 * Same safety rule as widget.js: names and messages are set as text, never as HTML.
 */
(() => {
  "use strict";

  const EN = {
    signInWhy: "Sign in to comment under a name nobody else can use. No password: we e-mail you a link.",
    yourEmail: "Your e-mail",
    sendLink: "Send me a sign-in link",
    linkSent: "Check your inbox: the link there signs you in here. It works once, for 30 minutes.",
    signingIn: "Signing you in…",
    chooseName: "Choose the name your comments will carry",
    chooseNameHint: "3 to 32 letters, digits, '.', '_' or '-'",
    finishSignIn: "Sign in",
    signedInAs: "Signed in as {name}",
    signOut: "Sign out",
    signedOut: "You are signed out.",
  };
  // The widget's other languages (web/i18n/ has the rest of their words).
  const WORDS = {
    ar: {"signInWhy": "سجّل الدخول لتعلّق باسم لا يستطيع أحد غيرك استخدامه. بلا كلمة مرور: نرسل إليك رابطًا بالبريد.", "yourEmail": "بريدك الإلكتروني", "sendLink": "أرسل لي رابط تسجيل الدخول", "linkSent": "تحقّق من بريدك الوارد: الرابط هناك يسجّل دخولك هنا. يعمل مرة واحدة، لمدة 30 دقيقة.", "signingIn": "جارٍ تسجيل الدخول…", "chooseName": "اختر الاسم الذي ستحمله تعليقاتك", "chooseNameHint": "من 3 إلى 32 حرفًا لاتينيًا أو رقمًا أو '.' أو '_' أو '-'", "finishSignIn": "تسجيل الدخول", "signedInAs": "تم تسجيل الدخول باسم {name}", "signOut": "تسجيل الخروج", "signedOut": "تم تسجيل خروجك."},
    de: {"signInWhy": "Melden Sie sich an, um unter einem Namen zu kommentieren, den niemand sonst verwenden kann. Kein Passwort: Wir schicken Ihnen einen Link.", "yourEmail": "Ihre E-Mail", "sendLink": "Anmeldelink senden", "linkSent": "Sehen Sie in Ihr Postfach: Der Link dort meldet Sie hier an. Er gilt einmal, 30 Minuten lang.", "signingIn": "Sie werden angemeldet…", "chooseName": "Wählen Sie den Namen, den Ihre Kommentare tragen", "chooseNameHint": "3 bis 32 Buchstaben, Ziffern, '.', '_' oder '-'", "finishSignIn": "Anmelden", "signedInAs": "Angemeldet als {name}", "signOut": "Abmelden", "signedOut": "Sie sind abgemeldet."},
    es: {"signInWhy": "Inicia sesión para comentar con un nombre que nadie más puede usar. Sin contraseña: te enviamos un enlace.", "yourEmail": "Tu correo electrónico", "sendLink": "Enviarme un enlace de acceso", "linkSent": "Revisa tu bandeja de entrada: el enlace que hay allí inicia tu sesión aquí. Sirve una vez, durante 30 minutos.", "signingIn": "Iniciando sesión…", "chooseName": "Elige el nombre que llevarán tus comentarios", "chooseNameHint": "De 3 a 32 letras, dígitos, «.», «_» o «-»", "finishSignIn": "Iniciar sesión", "signedInAs": "Sesión iniciada como {name}", "signOut": "Cerrar sesión", "signedOut": "Has cerrado la sesión."},
    fr: {"signInWhy": "Connectez-vous pour commenter sous un nom que personne d'autre ne peut prendre. Sans mot de passe : nous vous envoyons un lien.", "yourEmail": "Votre e-mail", "sendLink": "M'envoyer un lien de connexion", "linkSent": "Consultez votre boîte de réception : le lien qui s'y trouve vous connecte ici. Il sert une fois, pendant 30 minutes.", "signingIn": "Connexion en cours…", "chooseName": "Choisissez le nom que porteront vos commentaires", "chooseNameHint": "3 à 32 lettres, chiffres, « . », « _ » ou « - »", "finishSignIn": "Se connecter", "signedInAs": "Connecté en tant que {name}", "signOut": "Se déconnecter", "signedOut": "Vous êtes déconnecté."},
    he: {"signInWhy": "היכנסו כדי להגיב בשם שאף אחד אחר לא יכול להשתמש בו. בלי סיסמה: נשלח לכם קישור בדוא״ל.", "yourEmail": "הדוא״ל שלך", "sendLink": "שלחו לי קישור כניסה", "linkSent": "בדקו את תיבת הדואר: הקישור שם יכניס אתכם לכאן. הוא תקף פעם אחת, למשך 30 דקות.", "signingIn": "מתבצעת כניסה…", "chooseName": "בחרו את השם שיופיע בתגובות שלכם", "chooseNameHint": "3 עד 32 אותיות לטיניות, ספרות, '.', '_' או '-'", "finishSignIn": "כניסה", "signedInAs": "מחובר/ת בתור {name}", "signOut": "יציאה", "signedOut": "יצאת מהחשבון."},
    ja: {"signInWhy": "ログインすると、ほかの誰も使えない名前でコメントできます。パスワードは不要です。リンクをメールでお送りします。", "yourEmail": "メールアドレス", "sendLink": "ログイン用リンクを送る", "linkSent": "受信トレイをご確認ください。メールのリンクでここにログインできます。有効なのは1回、30分間です。", "signingIn": "ログインしています…", "chooseName": "コメントに表示する名前を選んでください", "chooseNameHint": "3〜32文字の英字、数字、「.」「_」「-」", "finishSignIn": "ログイン", "signedInAs": "{name} としてログイン中", "signOut": "ログアウト", "signedOut": "ログアウトしました。"},
    pt: {"signInWhy": "Entre para comentar com um nome que mais ninguém pode usar. Sem senha: enviamos um link por e-mail.", "yourEmail": "Seu e-mail", "sendLink": "Enviar-me um link de acesso", "linkSent": "Veja sua caixa de entrada: o link que está lá faz você entrar aqui. Ele funciona uma vez, por 30 minutos.", "signingIn": "Entrando…", "chooseName": "Escolha o nome que seus comentários vão levar", "chooseNameHint": "De 3 a 32 letras, dígitos, '.', '_' ou '-'", "finishSignIn": "Entrar", "signedInAs": "Conectado como {name}", "signOut": "Sair", "signedOut": "Você saiu."},
    ru: {"signInWhy": "Войдите, чтобы комментировать под именем, которое никто другой не сможет занять. Без пароля: мы пришлём вам ссылку.", "yourEmail": "Ваш e-mail", "sendLink": "Прислать ссылку для входа", "linkSent": "Проверьте почту: ссылка в письме выполнит вход здесь. Она действует один раз, 30 минут.", "signingIn": "Выполняется вход…", "chooseName": "Выберите имя, под которым будут ваши комментарии", "chooseNameHint": "От 3 до 32 букв, цифр, «.», «_» или «-»", "finishSignIn": "Войти", "signedInAs": "Вы вошли как {name}", "signOut": "Выйти", "signedOut": "Вы вышли."},
    zh: {"signInWhy": "登录后即可使用他人无法使用的名字发表评论。无需密码：我们会通过电子邮件发送链接给你。", "yourEmail": "你的电子邮件", "sendLink": "给我发送登录链接", "linkSent": "请查看收件箱：邮件中的链接会让你在这里登录。链接只能使用一次，30 分钟内有效。", "signingIn": "正在登录…", "chooseName": "选择你的评论将显示的名字", "chooseNameHint": "3 到 32 个字母、数字、“.”、“_”或“-”", "finishSignIn": "登录", "signedInAs": "已登录为 {name}", "signOut": "退出登录", "signedOut": "你已退出登录。"}
  };

  /** widget-passkeys.js, fetched once where the browser has passkeys: its button joins the account line. */
  let passkeysLoad = null;
  function withPasskeys(thread, env, line, signedIn) {
    if (!window.PublicKeyCredential) return;
    passkeysLoad ||= new Promise((resolve, reject) => document.head.append(env.h("script", {
      src: `${thread.base}/widget-passkeys.js`, async: true, onload: resolve,
      onerror: () => { passkeysLoad = null; reject(new Error("widget-passkeys.js")); } })));
    passkeysLoad.then(() => line.append(" ", window.BlogComments.passkeys.button(thread, env, signedIn)), () => {});
  }

  function words(lang) {
    const messages = WORDS[lang] || {};
    return (key, values = {}) => (messages[key] ?? EN[key]).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
  }

  /** The account line of ``thread``: signed in, the name and Sign out; else the form that mails a link. A
   * mailed link's token (env.token) is used first. */
  function show(thread, env) {
    const { h } = env;
    const say = words(thread.t.lang);
    const notice = (text) => { thread.accountStatus.textContent = text; };

    async function useLink(token, username) {
      notice(say("signingIn"));
      try {
        const { data } = await thread.call("POST", "/auth/email-link/session",
          { body: username ? { token, username } : { token } });
        env.setReaderSession({ token: data.token, username: data.user.username, email: data.user.email });
        notice(say("signedInAs", { name: data.user.username }));
      } catch (error) {
        if (!error.fields.username) {
          notice(error.message);
          thread.renderAccount(); // signed out: the thread's own "Sign in by e-mail" again
          return;
        }
        askName(token, username ? thread.fieldError("username", error.fields.username) : "");
      }
    }

    /** A new address: the name its comments will carry (the reader's Name from the form, if it fits). */
    function askName(token, problem) {
      const typed = (env.storage.get("author") || {}).name || "";
      const name = h("input", { type: "text", id: `${thread.id}-username`, required: true, minlength: 3,
        maxlength: 32, autocomplete: "username", "aria-describedby": `${thread.id}-username-hint`,
        value: typed.replace(/[^A-Za-z0-9_.-]+/g, "").replace(/^[^A-Za-z0-9]+/, "").slice(0, 32) });
      notice(problem);
      thread.account.replaceChildren(h("form", { class: "bc-signin", onsubmit: (event) => {
        event.preventDefault();
        useLink(token, name.value.trim());
      } },
      h("label", { for: name.id, text: say("chooseName") }), name,
      h("p", { class: "bc-hint", id: `${thread.id}-username-hint`, text: say("chooseNameHint") }),
      h("button", { type: "submit", text: say("finishSignIn") })));
      name.focus();
    }

    async function requestLink(email, button) {
      if (button.getAttribute("aria-busy")) return;
      button.setAttribute("aria-busy", "true");
      try {
        // Back to this very page: the link's page sends the reader here with the token in the fragment.
        await thread.call("POST", "/auth/email-link",
          { body: { email, return_to: window.location.href.split("#")[0] } });
        notice(say("linkSent"));
      } catch (error) {
        notice(error.message);
      } finally {
        button.removeAttribute("aria-busy");
      }
    }

    /** Signing out ends the session on the server (a copy of the token is then worth nothing), then here. */
    async function signOut() {
      try {
        await thread.call("POST", "/auth/sign-out");
      } catch {
        /* ended already, or unreachable: forgotten here all the same */
      }
      env.setReaderSession(null);
      notice(say("signedOut"));
      thread.account.querySelector("button")?.focus();
    }

    function draw() {
      const session = env.readerSession();
      if (session) {
        thread.account.replaceChildren(h("p", {}, h("span", { text: say("signedInAs", { name: session.username }) }),
          thread.verifiedMark(), " ", h("button", { type: "button", text: say("signOut"), onclick: signOut })));
        withPasskeys(thread, env, thread.account.firstChild, true);
        return;
      }
      const email = h("input", { type: "email", id: `${thread.id}-signin-email`, required: true, maxlength: 254,
        autocomplete: "email" });
      const send = h("button", { type: "submit", text: say("sendLink") });
      thread.account.replaceChildren(h("form", { class: "bc-signin", onsubmit: (event) => {
        event.preventDefault();
        requestLink(email.value.trim(), send);
      } },
      h("p", { class: "bc-hint", text: say("signInWhy") }),
      h("label", { for: email.id, text: say("yourEmail") }), email, send));
      withPasskeys(thread, env, thread.account.firstChild, false);
      if (env.opening) email.focus();
    }

    if (env.token) useLink(env.token);
    else draw();
  }

  window.BlogComments.account = show;
})();
