// ESLint's flat config: its recommended rules over the widget's and the console's sources (web-src/), the
// unit tests, and the scripts served as written. ESLint and its rules live in .tools/ (devtools/javascript.py).
import { createRequire } from "node:module";

const tools = createRequire(new URL("./.tools/node_modules/", import.meta.url));
const js = tools("@eslint/js");
const globals = tools("globals");

export default [
  { ignores: ["web/widget.js", "web/admin/admin.js", "web/demo/demo.js", ".tools/", ".venv/", "site/", "dist/", "node_modules/"] },
  js.configs.recommended,
  {
    files: ["web-src/**/*.js", "eslint.config.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.browser } },
  },
  { files: ["web-src/tests/**/*.js"], languageOptions: { globals: { ...globals.node } } },
  {
    files: ["web/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "script", globals: { ...globals.browser } },
  },
];
