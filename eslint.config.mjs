// ESLint (flat config) for the extension's JavaScript: `npx eslint` (scripts/test.sh runs it).
// Content scripts are classic scripts sharing one isolated world per page (globalThis.PromptWatt);
// the service worker, pages, offscreen document and Pyodide worker are ES modules.
import js from "@eslint/js";
import globals from "globals";

const rules = {
  "no-unused-vars": ["error", { args: "none", caughtErrors: "none", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
  "no-empty": ["error", { allowEmptyCatch: true }],
  eqeqeq: ["error", "smart"],
  "no-implicit-globals": "error",
  "prefer-const": "error",
  "no-var": "error",
};

export default [
  { ignores: ["node_modules/**", "dist/**", ".venv/**", "build/**"] },
  js.configs.recommended,
  {
    files: ["extension/content/**/*.js", "extension/sites/**/*.js"],
    languageOptions: {
      sourceType: "script",
      ecmaVersion: 2023,
      globals: { ...globals.browser, chrome: "readonly", PromptWatt: "readonly" },
    },
    rules,
  },
  {
    files: ["extension/**/*.js"],
    ignores: ["extension/content/**", "extension/sites/**"],
    languageOptions: {
      sourceType: "module",
      ecmaVersion: 2023,
      globals: { ...globals.browser, ...globals.serviceworker, ...globals.worker, chrome: "readonly" },
    },
    rules,
  },
  {
    files: ["tests/**/*.mjs", "tools/**/*.mjs", "tests/browser/fixtures/drivers/*.js"],
    languageOptions: {
      sourceType: "module",
      ecmaVersion: 2023,
      globals: { ...globals.node, ...globals.browser },
    },
    rules,
  },
];
