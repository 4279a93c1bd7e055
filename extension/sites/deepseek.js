// DeepSeek. Selectors per docs/sites.md (DeepSeek). DeepSeek's
// classes are build hashes: design-system classes (ds-*) and data-virtual-list-item-key come
// first, the hashed ones seen 2025-03 .. 2026-09 are fallbacks (fixtures
// tests/browser/fixtures/deepseek.html, a union of markers, and deepseek_2025.html, the
// March-2025 layout without the virtual list).
(() => {
  const { registerAdapter, dom } = globalThis.PromptWatt;

  const S = {
    rows: ["[data-virtual-list-item-key]", ".dad65929 > div", ".ds-virtual-list-visible-items > div"],
    assistantRow: "._4f9bf79, ._43c05b5, .f9bf7997",
    userText: [".fbb737a4", ".ds-message"],
    answer: [".ds-assistant-message-main-content"],
    thinking: ".ds-think-content, .e1675d8b",
    thinkingText: [".ds-think-content .ds-markdown", ".e1675d8b .ds-markdown", ".ds-think-content", ".e1675d8b"],
    chip: "._5255ff8, ._58a6d71, .a6d716f5, ._74c0879 > div[role='button']",
    skip: ".ds-markdown-cite, .md-code-block-banner [role='button'], ._8271fc3",
    // copy / regenerate row, rendered once the reply is complete (outside the answer and the thinking)
    actions: ".ds-icon-button",
    notActions: ".ds-markdown, .ds-think-content, .e1675d8b",
    busy: "[aria-busy='true']",
    // The send button turns into a stop button (a square: <rect>) while a reply streams.
    streamingDoc: ["div[role='button'].ds-button--primary.ds-button--circle svg rect",
                   "div[role='button'][aria-label='Stop']"],
    shell: ["textarea#chat-input", "textarea[placeholder*='DeepSeek']", ".ds-virtual-list-items", "#root .ds-theme textarea"],
    modelRadio: "[role='radio'][data-model-type][aria-checked='true']",
    toggles: ".ds-toggle-button",
  };
  // Replies and thinking are read back as the Markdown the model wrote (prompts are plain text).
  const REPLY = { skip: S.skip, markdown: true };
  const DEEPTHINK = /deepthink|深度思考/i;

  function isAssistant(row) {
    return row.matches(S.assistantRow) || Boolean(row.querySelector(".ds-markdown"));
  }

  function hasActions(row) {
    return [...row.querySelectorAll(S.actions)].some((b) => !b.closest(S.notActions));
  }

  function answerEl(row) {
    const main = dom.first(row, S.answer);
    if (main) return main;
    return dom.outside(row, ".ds-markdown", S.thinking)[0] || null;
  }

  function seconds(row) {
    for (const el of row.querySelectorAll(S.chip)) {
      const s = dom.parseDuration(el.textContent);
      if (s !== null) return s;
    }
    return null;
  }

  function pageModel(doc) {
    const radio = doc.querySelector(S.modelRadio);
    const parts = [];
    if (radio) parts.push(radio.textContent.trim() || radio.getAttribute("data-model-type"));
    for (const t of doc.querySelectorAll(S.toggles)) {
      const on = t.classList.contains("ds-toggle-button--selected") || t.getAttribute("aria-pressed") === "true";
      if (on && DEEPTHINK.test(t.textContent)) parts.push(t.textContent.trim());
    }
    return parts.filter(Boolean).join(" ") || null;
  }

  function rowIndex(userRow, row, fallback) {
    const a = Number(row.getAttribute("data-virtual-list-item-key"));
    const u = Number(userRow.getAttribute("data-virtual-list-item-key"));
    // Keys count messages from 1 (user, assistant, user, ...): they survive virtualisation.
    if (Number.isInteger(a) && Number.isInteger(u) && a === u + 1 && a >= 2) return Math.floor((a - 1) / 2);
    return fallback;
  }

  registerAdapter({
    id: "deepseek",
    selectors: S,

    conversationId(loc) {
      const m = /^\/(?:a\/)?chat\/s\/([0-9a-zA-Z-]{6,})(?:[/?#]|$)/.exec(loc.pathname);
      return m ? m[1] : null;
    },

    modelLabel: pageModel,

    readTurns(doc) {
      const rows = dom.all(doc, S.rows).filter((r) => r.querySelector(".ds-message, .fbb737a4, .ds-markdown"));
      const turns = [];
      let userRow = null, users = -1;
      for (const row of rows) {
        if (!isAssistant(row)) { userRow = row; users += 1; continue; }
        if (!userRow) continue;
        const user = userRow;
        const index = rowIndex(user, row, users);
        const key = row.getAttribute("data-virtual-list-item-key") || `row-${index}`;
        const busy = Boolean(row.querySelector(S.busy));
        turns.push({
          els: [user, row],
          slot: key,
          index,
          streaming: busy,
          finished: !busy && hasActions(row),
          read() {
            const answer = answerEl(row);
            const reply = dom.readText(answer, REPLY);
            const prompt = dom.readText(dom.first(user, S.userText) || user, { skip: S.skip, pre: true });
            const thinking = dom.first(row, S.thinkingText);
            return {
              // Row keys are reused by a regeneration: the reply text tells generations apart.
              gen: `${key}-${dom.identity(prompt, [answer], S.skip)}`,
              prompt, reply,
              reasoning: thinking ? dom.readText(thinking, { markdown: true }) : "",
              reasoningSeconds: seconds(row),
              modelLabel: pageModel(doc),
              anchor: answer || row,
            };
          },
        });
        userRow = null;
      }
      return turns;
    },
  });
})();
