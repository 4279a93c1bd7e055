// Gemini. Selectors per docs/sites.md (Gemini): Angular custom
// elements in the light DOM, stable since 2024 (fixture tests/browser/fixtures/gemini.html), the
// model pill of 2026 and its late-2025 / 2024 predecessors. The page enforces Trusted Types:
// this file and the badge only read the DOM and build nodes with createElement/textContent.
(() => {
  const { registerAdapter, dom } = globalThis.PromptWatt;

  const S = {
    turns: ["div.conversation-container", "infinite-scroller .conversation-container"],
    user: ["user-query"],
    userText: [".query-text", "user-query-content", ".user-query-bubble-with-background"],
    response: ["model-response"],
    thoughts: "model-thoughts, .model-thoughts, .thoughts-container, .thoughts-content",
    thoughtsText: ["model-thoughts [data-test-id='thoughts-content']", "model-thoughts .thoughts-content",
                   ".thoughts-content"],
    replyText: ".markdown-main-panel, .markdown",
    skip: "sources-list, .response-footer, message-actions, .citation-chip",
    finished: ".response-footer.complete, message-actions [data-test-id='copy-button']",
    busy: ".markdown-main-panel[aria-busy='true'], [role='progressbar'], .processing-state-visible",
    streamingDoc: ["mat-icon[fonticon='stop']", "mat-icon[data-mat-icon-name='stop']", "button.send-button.stop"],
    shell: ["rich-textarea", ".ql-editor[contenteditable][role='textbox']", "input-area-v2", "chat-window",
            "[data-node-type='input-area']"],
    model: ["[data-test-id='bard-mode-menu-button'] [data-test-id='logo-pill-label-container']",
            "[data-test-id='bard-mode-menu-button']", ".input-area-switch-label", "bard-mode-switcher .logo-pill-label-container",
            "button.gds-mode-switch-button .logo-pill-label-container", "[data-test-id='logo-pill-label-container']"],
  };

  // Replies and thoughts are read back as the Markdown the model wrote (prompts are plain text).
  const REPLY = { skip: S.skip, markdown: true };
  const THOUGHTS = { markdown: true };

  function responseId(resp, container) {
    for (const mc of resp.querySelectorAll("message-content[id]")) {
      if (mc.closest(S.thoughts)) continue;
      const m = /(r_[0-9a-zA-Z]+)$/.exec(mc.id);
      if (m) return m[1];
    }
    const log = resp.querySelector("response-container[jslog]");
    const m = log && /"(r_[0-9a-zA-Z]+)"/.exec(log.getAttribute("jslog"));
    if (m) return m[1];
    return container && container.id ? `c_${container.id}` : "";
  }

  function pageModel(doc) {
    const el = dom.first(doc, S.model);
    if (!el) return null;
    // The pill may hold two lines (model + thinking level): one word group each.
    const spans = [...el.querySelectorAll(":scope > span")].map((s) => s.textContent.trim()).filter(Boolean);
    const text = spans.length ? spans.join(" ") : dom.readText(el).split("\n").join(" ");
    return text.trim() || null;
  }

  function pairs(doc) {
    const containers = dom.all(doc, S.turns);
    if (containers.length) {
      return containers.map((c) => ({ container: c, user: dom.first(c, S.user), resp: dom.first(c, S.response) }));
    }
    // No containers: pair each model-response with the user-query before it.
    const out = [];
    let user = null;
    for (const el of doc.querySelectorAll("user-query, model-response")) {
      if (el.tagName.toLowerCase() === "user-query") user = el;
      else if (user) { out.push({ container: null, user, resp: el }); user = null; }
    }
    return out;
  }

  registerAdapter({
    id: "gemini",
    selectors: S,

    conversationId(loc) {
      const path = loc.pathname.replace(/^\/u\/\d+/, "");
      const m = /^\/(?:app|gem\/[^/]+)\/([0-9a-f]{8,})(?:[/?#]|$)/i.exec(path);
      return m ? m[1] : null;
    },

    modelLabel: pageModel,

    readTurns(doc) {
      const turns = [];
      pairs(doc).forEach(({ container, user, resp }, index) => {
        if (!user || !resp) return;
        const replyEls = dom.outside(resp, "message-content", S.thoughts);
        const busy = Boolean(resp.querySelector(S.busy));
        const id = responseId(resp, container);
        turns.push({
          els: [container || user, resp],
          slot: (container && container.id) || id || `turn-${index}`,
          index,
          streaming: busy,
          finished: !busy && Boolean(resp.querySelector(S.finished)),
          read() {
            const texts = replyEls.map((mc) => dom.readText(mc.querySelector(S.replyText) || mc, REPLY));
            const reply = texts.filter(Boolean).join("\n");
            const prompt = dom.readText(dom.first(user, S.userText) || user, { skip: S.skip });
            const thoughts = dom.first(resp, S.thoughtsText);
            const reasoning = thoughts ? dom.readText(thoughts.querySelector(S.replyText) || thoughts, THOUGHTS) : "";
            return {
              gen: id || `h${index}-${dom.identity(prompt, replyEls.map((mc) => mc.querySelector(S.replyText) || mc),
                                                   S.skip)}`,
              prompt, reply, reasoning,
              reasoningSeconds: null, // Gemini shows no thinking duration
              modelLabel: pageModel(doc),
              anchor: replyEls[replyEls.length - 1] || resp,
            };
          },
        });
      });
      return turns;
    },
  });
})();
