// Microsoft Copilot, consumer site (its hosts, old and new since 2026-03, are in the site registry).
// Selectors per the DOM research notes (docs/sites.md §5): the 2026 Tailwind message groups
// (fixture tests/browser/fixtures/copilot.html) and the 2025 data-content nodes (copilot_2025.html).
// Each list is tried in order; the first that matches wins. Copilot renders no message ids, so a
// turn's generation is a hash of its visible text (a regenerated reply reads differently).
(() => {
  const { registerAdapter, dom } = globalThis.PromptWatt;

  const S = {
    // [user, ai] message markers, one pair per DOM generation
    messages: [
      ["[class~='group/user-message']", "[class~='group/ai-message']"],
      ["[data-content='user-message']", "[data-content='ai-message']"],
    ],
    userText: [".whitespace-pre-wrap", "[class*='whitespace-pre']"],
    replyText: ["[class~='group/ai-message-item']"],
    // the Think Deeper disclosure ("Thought for 14 seconds" + its summary)
    thoughts: "[data-testid='thinking-block']",
    // what Copilot puts inside a message that the model did not write
    skip: ".fai-UserMessage__accessibleHeading, .fai-CopilotMessage__accessibleHeading, "
      + "[data-testid^='citation'], a[class*='citation'], [data-testid='message-item-reactions'], "
      + "[data-testid='thinking-block']",
    // code blocks: a header (language label, Copy) above the <pre>
    // (or, unmarked, a block holding just such a header and the <pre>)
    codeBlocks: "[data-testid='code-block'], div:has(> div:first-child button):has(> pre:last-child):not(:has(> :nth-child(3)))",
    actions: "[data-testid='message-item-reactions'], button[data-testid='copy-ai-message-button']",
    busy: "[aria-busy='true']",
    streamingDoc: ["button[data-testid='stop-button']", "button[aria-label='Stop responding']"],
    shell: ["textarea#userInput", "#gptModeSwitcher", "[aria-label='Model Selector']"],
    model: ["#gptModeSwitcher", "button[aria-label='Model Selector']", "[aria-label='Model Selector']"],
  };
  // Replies and thoughts are read back as the Markdown the model wrote (prompts are plain text).
  const REPLY = { skip: S.skip, markdown: true, codeBlocks: S.codeBlocks };
  const THOUGHT_LABEL = /^\s*(thought|thinking|reasoned|reasoning|worked)\b/i;

  /** Messages in page order, from the first generation of markers that finds any. */
  function messages(doc) {
    for (const [user, ai] of S.messages) {
      const found = [...doc.querySelectorAll(`${user}, ${ai}`)];
      if (found.length) return found.map((el) => ({ el, ai: el.matches(ai) }));
    }
    return [];
  }

  /** The reasoning disclosure of a reply: its label button, the panel it opens, the box holding both. */
  function thoughts(msg, texts) {
    for (const b of msg.querySelectorAll("button, [role='button'], [aria-expanded]")) {
      if (texts.some((t) => t.contains(b))) continue;
      const label = b.textContent.trim();
      if (!label || label.length > 60 || !THOUGHT_LABEL.test(label)) continue;
      const id = b.getAttribute("aria-controls");
      const panel = id ? [...msg.querySelectorAll("[id]")].find((el) => el.id === id) || null : null;
      let box = b.closest(S.thoughts);
      if (!box || !msg.contains(box)) {
        box = b.parentElement;
        while (panel && box !== msg && !box.contains(panel)) box = box.parentElement;
      }
      return { seconds: dom.parseDuration(label), panel, box };
    }
    return null;
  }

  function replyParts(msg, t) {
    const sel = S.replyText.join(",");
    const found = [...msg.querySelectorAll(sel)].filter((el) => !(t && t.box.contains(el))
      && !(el.parentElement && el.parentElement.closest(sel) && msg.contains(el.parentElement.closest(sel))));
    if (found.length) return found;
    if (!t || !msg.contains(t.box) || t.box === msg) return [msg];
    // no text container known: the message's blocks around the reasoning disclosure
    return [...msg.children].filter((c) => !c.contains(t.box) && !c.matches(`${S.skip}, .sr-only, [hidden]`));
  }

  const infos = new WeakMap(); // reply element -> {text, ...info}: kept while the exchange's text is unchanged

  /**
   * The parts of an exchange and its identity (PromptWatt.dom.identity: a hash of the prompt and the
   * visible reply). No message ids: a generation is this hash, independent of the turn's position,
   * so that older turns rendered above never renumber the turns already recorded.
   */
  function info({ user, msg }) {
    const text = `${user.textContent}\u0001${msg.textContent}`;
    const hit = infos.get(msg);
    if (hit && hit.text === text && hit.user === user && hit.parts.every((p) => msg.contains(p))) return hit;
    const t = thoughts(msg, [...msg.querySelectorAll(S.replyText.join(","))]);
    const parts = replyParts(msg, t);
    const prompt = dom.readText(dom.first(user, S.userText) || user, { skip: S.skip });
    const value = { text, user, t, parts, prompt, base: dom.identity(prompt, parts, S.skip) };
    infos.set(msg, value);
    return value;
  }

  function pageModel(doc) {
    const el = dom.first(doc, S.model);
    const text = el ? dom.readText(el).split("\n").join(" ").trim() : "";
    return text || null;
  }

  registerAdapter({
    id: "copilot",
    selectors: S,

    conversationId(loc) {
      const m = /^\/chats\/([0-9a-zA-Z_-]{6,})(?:[/?#]|$)/.exec(loc.pathname);
      return m ? m[1] : null;
    },

    isConversationUrl(loc) {
      return /^\/chats\/./.test(loc.pathname);
    },

    modelLabel: pageModel,

    readTurns(doc) {
      const anyActions = Boolean(doc.querySelector(S.actions));
      return dom.hashedTurns(doc, messages(doc), {
        info, busy: S.busy, reply: REPLY, codeBlocks: S.codeBlocks, modelLabel: pageModel,
        finished: (pair) => Boolean(pair.msg.querySelector(S.actions)) || !anyActions,
      });
    },
  });
})();
