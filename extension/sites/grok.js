// Grok. Selectors from the team's DOM research (docs/sites.md §5: defuddle's Grok extractor
// 2025-04, ai-chat-exporter's 2026-03 capture, Ophel, a selector module dated 2026-09-29): the
// 2026-09 DOM (fixture tests/browser/fixtures/grok.html: `[data-testid='user-message']`,
// `[data-testid='assistant-message']`, `.thinking-container`, the "Model selection" mode button) and
// the 2025 one (grok_2025.html: `div[id^='response-']` rows told apart by `.items-end` /
// `.items-start`, `.message-bubble`, `.response-content-markdown`). Each list is tried in order; the
// first that matches wins. Every message row carries its id (`response-<uuid>`): a regenerated reply
// gets a new one.
(() => {
  const { registerAdapter, dom } = globalThis.PromptWatt;

  const S = {
    row: "div[id^='response-']",
    user: ["[data-testid='user-message']", "div[id^='response-'].items-end .message-bubble"],
    assistant: ["[data-testid='assistant-message']", "div[id^='response-'].items-start .message-bubble"],
    userText: [".whitespace-pre-wrap", ".response-content-markdown"],
    replyText: [".response-content-markdown", ".markdown"],
    thinking: ".thinking-container",
    // the site's code-block wrapper: language label, copy button, then the highlighted <pre>
    codeBlocks: "[data-testid='code-block'], div[class*='@container/code-block']",
    skip: "a.citation, [data-testid='citation'], .thinking-container",
    // copy / regenerate row under a finished reply (outside the bubble)
    actions: ".action-buttons button, button[aria-label='Regenerate'], button[aria-label='Copy']",
    streamingDoc: ["button[aria-label='Stop model response']", "button[data-testid='chat-submit'][aria-label^='Stop']"],
    shell: ["button[data-testid='chat-submit']", ".query-bar textarea", ".query-bar [contenteditable='true']"],
    model: ["button[aria-label^='Model select']", "[data-testid='model-select']"],
    // 2025: reasoning and search switched on next to the composer
    modes: "button[aria-pressed='true']",
  };
  // Replies and reasoning are read back as the Markdown the model wrote (prompts are plain text).
  const REPLY = { skip: S.skip, markdown: true, codeBlocks: S.codeBlocks };
  const THINKING = { markdown: true, codeBlocks: S.codeBlocks };
  const MODE = /^(think|deepsearch|deepersearch)$/i;
  const TIMING = 60; // a duration label is short ("Worked for 9s"); longer text is reasoning

  /** Message nodes of the first user and assistant selectors that match, in document order. */
  function messages(doc) {
    const user = dom.all(doc, S.user).map((el) => ({ role: "user", el }));
    const assistant = dom.all(doc, S.assistant).map((el) => ({ role: "assistant", el }));
    return [...user, ...assistant].sort((a, b) =>
      a.el.compareDocumentPosition(b.el) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1);
  }

  /** The message's row (its id, its action buttons, a thinking block beside the bubble). */
  function rowOf(el) {
    return el.closest(S.row) || el;
  }

  function replyEls(el) {
    for (const sel of S.replyText) {
      const found = dom.outside(el, sel, `${S.thinking},${sel}`);
      if (found.length) return found;
    }
    return [el];
  }

  function hasActions(row, el) {
    return [...row.querySelectorAll(S.actions)].some((b) => !el.contains(b) || !b.closest(S.replyText.join(",")));
  }

  /** Duration labels ("Worked for 9s", "Thought for 12s") in the row, outside the reply itself. */
  function seconds(row) {
    const blocks = row.querySelectorAll(S.thinking);
    const scopes = blocks.length ? [...blocks] : [row];
    for (const scope of scopes) {
      for (const el of scope.querySelectorAll("button, [aria-expanded], span, div")) {
        if (el.closest(S.replyText.join(","))) continue; // the answer may say "thought for" too
        const text = el.textContent;
        if (text.length < TIMING) {
          const s = dom.parseDuration(text);
          if (s !== null) return s;
        }
      }
    }
    return null;
  }

  /** What the thinking block shows, without its duration label. */
  function reasoning(row) {
    return [...row.querySelectorAll(S.thinking)]
      .map((b) => dom.readText(b, THINKING).split("\n")
        .filter((line) => !(line.length < TIMING && dom.parseDuration(line) !== null)).join("\n").trim())
      .filter(Boolean).join("\n\n");
  }

  function pageModel(doc) {
    const button = dom.first(doc, S.model);
    const parts = [];
    if (button) parts.push(...dom.readText(button).split("\n").map((t) => t.trim()));
    for (const t of doc.querySelectorAll(S.modes)) {
      const text = t.textContent.trim();
      if (MODE.test(text)) parts.push(text);
    }
    return parts.filter(Boolean).join(" ") || null;
  }

  function rowId(row) {
    const m = /^response-([0-9a-zA-Z-]{6,})$/.exec(row.id || "");
    return m ? m[1] : "";
  }

  registerAdapter({
    id: "grok",
    selectors: S,

    conversationId(loc) {
      // /c/<uuid> since 2025; /chat/<id> before
      const m = /^\/(?:c|chat)\/([0-9a-zA-Z_-]{6,})(?:[/?#]|$)/.exec(loc.pathname);
      return m ? m[1] : null;
    },

    modelLabel: pageModel,

    readTurns(doc) {
      const list = messages(doc);
      const anyActions = list.some((m) => m.role === "assistant" && hasActions(rowOf(m.el), m.el));
      const turns = [];
      let lastUser = null, users = -1;
      for (const { role, el } of list) {
        if (role === "user") { lastUser = el; users += 1; continue; }
        if (!lastUser) continue;
        const user = lastUser;
        lastUser = null;
        const index = users;
        const row = rowOf(el);
        const id = rowId(row);
        turns.push({
          els: [rowOf(user), row],
          slot: id || `turn-${index}`,
          index,
          streaming: el.getAttribute("aria-busy") === "true",
          finished: el.getAttribute("aria-busy") !== "true" && (hasActions(row, el) || !anyActions),
          read() {
            const parts = replyEls(el);
            const prompt = dom.readText(dom.first(user, S.userText) || user, { skip: S.skip });
            return {
              // no row id: identity from the visible text (see PromptWatt.dom.identity)
              gen: id || `h${index}-${dom.identity(prompt, parts, S.skip)}`,
              prompt,
              reply: parts.map((p) => dom.readText(p, REPLY)).filter(Boolean).join("\n\n"),
              reasoning: reasoning(row),
              reasoningSeconds: seconds(row),
              modelLabel: pageModel(doc),
              anchor: parts[parts.length - 1] || el,
            };
          },
        });
      }
      return turns;
    },
  });
})();
