// ChatGPT. Selectors per docs/sites.md (ChatGPT):
// the 2026 "section" turns (fixture tests/browser/fixtures/chatgpt.html), the older article/div
// turns (chatgpt_article.html) and the "search units" layout rolling out since 2026-09
// (chatgpt_units.html). Each list is tried in order; the first that matches wins.
(() => {
  const { registerAdapter, dom } = globalThis.PromptWatt;

  const S = {
    // message nodes, one strategy per DOM generation
    messages: ["[data-message-author-role]", "[data-content-search-unit-key]", "[data-chatgpt-search-unit-key]"],
    turn: "[data-testid^='conversation-turn-'], [data-turn-key], [data-turn-id]",
    userText: [".whitespace-pre-wrap", "[data-user-message-bubble]", "[class*='MarkdownRoot-']"],
    replyText: [".markdown", "[data-markdown-text-style='assistant-message']", "[class*='MarkdownRoot-']"],
    notAnswer: "[data-testid^='cot-v5'], [data-markdown-text-tone='tertiary']",
    skip: "[data-testid='webpage-citation-pill'], [data-testid^='cot-v5']",
    streamingDoc: ["button[data-testid='stop-button']", "#composer-submit-button[aria-label^='Stop']",
                   "form button[aria-label='Stop']", "form button[aria-label='Stop streaming']"],
    streamingTurn: "[data-streaming-response-status='streaming'], .result-streaming, [data-is-streaming='true']",
    actions: "[data-testid='copy-turn-action-button'], [role='group'][aria-label='Response actions'], "
      + "[data-testid='good-response-turn-action-button']",
    shell: ["#prompt-textarea", "form[data-type='unified-composer']", "form[data-chatgpt-composer]", "main#main #thread",
            "[contenteditable][aria-label='Ask ChatGPT']"],
    model: ["button[data-testid='model-switcher-dropdown-button']", "button[data-codex-intelligence-trigger]"],
  };
  // Replies are read back as the Markdown the model wrote (prompts are plain text).
  const REPLY = { skip: S.skip, markdown: true };
  const REASONING_LABEL = /^\s*(thought|worked|reasoned) for\b/i;
  const sessionTemp = `temporary-${Math.random().toString(36).slice(2)}`;

  function role(node) {
    const r = node.getAttribute("data-message-author-role");
    if (r) return r;
    const key = node.getAttribute("data-content-search-unit-key") || node.getAttribute("data-chatgpt-search-unit-key") || "";
    return key.endsWith(":user") ? "user" : key.endsWith(":assistant") ? "assistant" : "";
  }

  function messageId(node) {
    const ids = node.getAttribute("data-message-id") || node.getAttribute("data-chatgpt-selection-message-id")
      || (node.getAttribute("data-chatgpt-search-message-ids") || "").split(/\s+/)[0]
      || node.getAttribute("data-content-search-unit-key") || "";
    return ids;
  }

  /** Messages in page order, consecutive same-role nodes of one turn merged into one unit. */
  function units(doc) {
    const nodes = dom.all(doc, S.messages).filter((n) => !n.parentElement || !n.parentElement.closest(S.messages.join(",")));
    const out = [];
    for (const node of nodes) {
      const r = role(node);
      if (r !== "user" && r !== "assistant") continue;
      const turn = node.closest(S.turn) || node;
      const last = out[out.length - 1];
      if (last && last.role === r && last.turn === turn) last.nodes.push(node);
      else out.push({ role: r, turn, nodes: [node] });
    }
    return out;
  }

  /** A reply's stable id: its message id, else its turn id (not the in-flight "request-..." placeholder). */
  function replyId(unit) {
    const turnId = unit.turn.getAttribute("data-turn-id") || "";
    return messageId(unit.nodes[0]) || (turnId.startsWith("request-") ? "" : turnId);
  }

  function turnNumber(turn) {
    const m = /conversation-turn-(\d+)/.exec(turn.getAttribute("data-testid") || "");
    return m ? Number(m[1]) : null;
  }

  function reasoningSeconds(turn) {
    for (const el of turn.querySelectorAll("button, [aria-expanded], [role='button'], span")) {
      if (el.closest(S.replyText.join(","))) continue; // the answer may say "thought for" too
      const text = el.textContent;
      if (text.length < 60 && REASONING_LABEL.test(text)) {
        const s = dom.parseDuration(text);
        if (s !== null) return s;
      }
    }
    return null;
  }

  function replyParts(unit) {
    const parts = [];
    for (const node of unit.nodes) {
      let found = [];
      for (const sel of S.replyText) {
        found = [...node.querySelectorAll(sel)].filter((el) => !el.closest(S.notAnswer)
          && !(el.parentElement && el.parentElement.closest(S.replyText.join(","))
               && node.contains(el.parentElement.closest(S.replyText.join(",")))));
        if (node.matches(sel) && !found.length) found = [node];
        if (found.length) break;
      }
      parts.push(...(found.length ? found : [node]));
    }
    return parts;
  }

  function pageModel(doc) {
    const button = dom.first(doc, S.model);
    if (!button) return null;
    const aria = /current model is (.+)$/i.exec(button.getAttribute("aria-label") || "");
    if (aria) return aria[1].trim();
    const text = dom.readText(button).replace(/^ChatGPT\s*/i, "").trim();
    return text || null;
  }

  registerAdapter({
    id: "chatgpt",
    selectors: S,

    conversationId(loc) {
      const m = /^\/(?:g\/[^/]+\/)?c\/([0-9a-zA-Z-]{8,})(?:[/?#]|$)/.exec(loc.pathname);
      if (m && !m[1].startsWith("local-")) return m[1];
      if (/[?&]temporary-chat=true/.test(loc.search)) return sessionTemp;
      return null;
    },

    isConversationUrl(loc) {
      return /^\/(?:g\/[^/]+\/)?c\//.test(loc.pathname);
    },

    modelLabel: pageModel,

    readTurns(doc) {
      const list = units(doc);
      const anyActions = Boolean(doc.querySelector(S.actions));
      const turns = [];
      let userIndex = -1, lastUser = null;
      let orphan; // the id of a reply mounted above the first mounted prompt: the next turn's predecessor
      for (const unit of list) {
        if (unit.role === "user") { userIndex += 1; lastUser = unit; continue; }
        if (!lastUser) { orphan = replyId(unit) || undefined; continue; } // its prompt is unmounted (virtualised)
        const user = lastUser;
        const n = turnNumber(unit.turn);
        const index = n !== null ? Math.max(0, Math.floor((n - 1) / 2)) : userIndex;
        const id = replyId(unit);
        const hasActions = Boolean(unit.turn.querySelector(S.actions));
        turns.push({
          els: [user.turn, unit.turn],
          slot: id || `turn-${index}`,
          index,
          prevGen: turns.length ? undefined : orphan,
          streaming: Boolean(unit.turn.querySelector(S.streamingTurn)),
          finished: !unit.turn.querySelector(S.streamingTurn) && (hasActions || !anyActions),
          read() {
            const parts = replyParts(unit);
            const reply = parts.map((p) => dom.readText(p, REPLY)).filter(Boolean).join("\n");
            const userNode = user.nodes[0];
            const prompt = user.nodes.map((u) => dom.readText(dom.first(u, S.userText) || u, { skip: S.skip }))
              .filter(Boolean).join("\n");
            const slug = unit.nodes.map((u) => u.getAttribute("data-message-model-slug")).find(Boolean);
            return {
              // no message id: identity from the visible text (see PromptWatt.dom.identity)
              gen: id || `h${index}-${dom.identity(prompt, parts, S.skip)}`,
              userId: messageId(userNode),
              prompt, reply, reasoning: "",
              reasoningSeconds: reasoningSeconds(unit.turn),
              modelLabel: slug || pageModel(doc),
              anchor: parts[parts.length - 1],
            };
          },
        });
      }
      return turns;
    },
  });
})();
