// Claude. Selectors from the team's DOM research (docs/sites.md §4: defuddle's Claude extractor
// 2026-02, ai-chat-exporter's 2025-08 capture, Ophel, two 2026 capture scripts): the 2026 DOM
// (fixture tests/browser/fixtures/claude.html: `.font-claude-response`, `.standard-markdown`,
// thinking under `[data-find-omitted]`) and the 2025 one (claude_2025.html: `.font-claude-message`,
// `.grid-cols-1.grid` text, `.font-user-message` prompts, thinking in a `.transition-all` child).
// Each list is tried in order; the first that matches wins. The page exposes no message ids: a
// turn's id is a hash of its visible text, so a regenerated (or edited) reply is a new generation.
(() => {
  const { registerAdapter, dom } = globalThis.PromptWatt;

  const S = {
    // one node per message, in page order (rows are TanStack-virtualised; `data-index` counts messages)
    user: ["[data-testid='user-message']", "[data-user-message-bubble]", ".font-user-message"],
    // `.font-claude-response` is also a typography class in the sidebar: only inside a message row
    assistant: ["[data-is-streaming]", "[data-test-render-count] .font-claude-response",
                "[data-test-render-count] .font-claude-message"],
    row: "[data-test-render-count], [data-index]",
    response: [".font-claude-response", ".font-claude-message"],
    replyText: [".standard-markdown", ".progressive-markdown", ".grid-cols-1.grid"],
    // extended thinking: the "Thought for 6s" pill and, when expanded, its summary
    thinking: "[data-find-omitted], .font-claude-message > .transition-all, .font-claude-response > .transition-all",
    // web-search citation chips inside sentences, artifact cards (their content is not in the message)
    skip: "a[class*='group/tag'], .artifact-block-cell",
    actions: "[data-testid='action-bar-copy'], [role='group'][aria-label='Message actions'] button",
    streamingDoc: ["button[aria-label='Stop response']", "fieldset button[aria-label^='Stop']"],
    shell: ["[data-testid='chat-input']", "div.ProseMirror[contenteditable='true']", "fieldset [contenteditable='true']",
            "button[data-testid='model-selector-dropdown']"],
    model: ["button[data-testid='model-selector-dropdown']", "[data-testid='model-selector-dropdown']"],
  };
  // Replies and thinking are read back as the Markdown the model wrote (prompts are plain text).
  const REPLY = { skip: S.skip, markdown: true };
  const THINKING = { markdown: true };

  /** Message nodes of the first user and assistant selectors that match, in document order. */
  function messages(doc) {
    const user = dom.all(doc, S.user).map((el) => ({ role: "user", el }));
    const assistant = dom.all(doc, S.assistant)
      .filter((el) => !el.parentElement || !el.parentElement.closest(S.assistant.join(",")))
      .map((el) => ({ role: "assistant", el }));
    return [...user, ...assistant].sort((a, b) =>
      a.el.compareDocumentPosition(b.el) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1);
  }

  function replyEls(el) {
    const root = dom.first(el, S.response) || el;
    for (const sel of S.replyText) {
      const found = dom.outside(root, sel, `${S.thinking},${sel}`);
      if (found.length) return found;
    }
    return [];
  }

  function thinkingBlocks(el) {
    return [...el.querySelectorAll(S.thinking)].filter((b) => !b.parentElement.closest(S.thinking));
  }

  function seconds(blocks) {
    let total = null;
    for (const b of blocks) {
      for (const label of b.querySelectorAll("button, [aria-expanded], span")) {
        const s = label.textContent.length < 60 ? dom.parseDuration(label.textContent) : null;
        if (s !== null) { total = (total || 0) + s; break; }
      }
    }
    return total;
  }

  /** What a thinking block shows, without its duration label (a button, but not in every build). */
  function summary(block) {
    return dom.readText(block, THINKING).split("\n")
      .filter((line) => !(line.length < 60 && dom.parseDuration(line) !== null)).join("\n").trim();
  }

  function pageModel(doc) {
    const button = dom.first(doc, S.model);
    if (!button) return null;
    // the picker may show a second line (the thinking mode): one label, words in reading order
    const text = dom.readText(button).split("\n").map((t) => t.trim()).filter(Boolean).join(" ");
    return text || null;
  }

  function rowIndex(userEl, el, fallback) {
    const u = Number((userEl.closest(S.row) || userEl).getAttribute("data-index"));
    const a = Number((el.closest(S.row) || el).getAttribute("data-index"));
    // data-index counts messages from 0 (user, assistant, user, ...)
    if (Number.isInteger(u) && Number.isInteger(a) && a === u + 1 && u % 2 === 0) return u / 2;
    return fallback;
  }

  registerAdapter({
    id: "claude",
    selectors: S,

    conversationId(loc) {
      const m = /^\/chat\/([0-9a-fA-F-]{16,})(?:[/?#]|$)/.exec(loc.pathname);
      return m ? m[1] : null;
    },

    modelLabel: pageModel,

    readTurns(doc) {
      const turns = [];
      let lastUser = null, users = -1;
      for (const { role, el } of messages(doc)) {
        if (role === "user") { lastUser = el; users += 1; continue; }
        if (!lastUser) continue; // its prompt is not mounted (virtualised): read when it is
        const user = lastUser;
        lastUser = null;
        const index = rowIndex(user, el, users);
        const row = el.closest(S.row);
        const flag = el.getAttribute("data-is-streaming");
        const streaming = flag === "true";
        turns.push({
          els: [user, el],
          slot: (row && row.getAttribute("data-index")) || `turn-${index}`,
          index,
          streaming,
          // data-is-streaming="false" once written; builds without it: the copy action shows
          finished: flag !== null ? !streaming : Boolean((row || el).querySelector(S.actions)),
          read() {
            const parts = replyEls(el);
            const prompt = dom.readText(user, { skip: S.skip });
            const reply = parts.map((p) => dom.readText(p, REPLY)).filter(Boolean).join("\n\n");
            const blocks = thinkingBlocks(el);
            const reasoning = blocks.map(summary).filter(Boolean).join("\n\n");
            return {
              // no message id on the page: the visible text (see PromptWatt.dom.identity)
              gen: `c${dom.identity(prompt, parts, S.skip)}`,
              prompt, reply, reasoning,
              reasoningSeconds: seconds(blocks),
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
