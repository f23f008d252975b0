/* The console's entry: esbuild bundles it into web/admin/admin.js (make js, devtools/javascript.py).
 *
 * It talks only to the public API, with the signed-in user's token kept in sessionStorage (never a cookie).
 * Text from the API is always set as text; the only HTML inserted is the `html` the API sanitised (a post,
 * a comment, a preview). */

import { api, ApiError, main, problemText, setToken, state, token } from "./core.js";
import { route, started } from "./router.js";
import { signIn } from "./session.js";

window.addEventListener("hashchange", route);
// The skip link moves focus without touching the address (its hash is the console's route).
document.querySelector(".skip")?.addEventListener("click", (event) => { event.preventDefault(); main.focus(); });
export async function start() {
  if (!token()) return signIn();
  try {
    const { data } = await api("GET", "/auth/me");
    state.me = data.user;
    if (data.token) setToken(data.token);
    started(location.hash || "#posts");
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) signIn(problemText(error));
  }
}
start();
