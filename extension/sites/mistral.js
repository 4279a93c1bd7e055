// Mistral Le Chat, renamed Vibe in 2026 (hosts in the site registry). Selectors per the DOM
// research notes (docs/sites.md §5): messages carry data-message-author-role like ChatGPT's, a
// finished reply gets a row of unlabelled icon buttons, the send button shows a rounded square while
// a reply streams. Fixtures: tests/browser/fixtures/mistral.html (2026 Vibe, Fast / Think toggle)
// and mistral_2025.html (Le Chat with a pressed "Think" tool button). Each list is tried in order;
// the first that matches wins. No message ids are rendered: a generation is a hash of the visible text.
(() => {
  const { registerAdapter, dom } = globalThis.PromptWatt;

  const S = {
    // [user, assistant] message markers, one pair per DOM generation
    messages: [
      ["[data-message-author-role='user']", "[data-message-author-role='assistant']"],
    ],
    userText: [".whitespace-pre-wrap", "[class*='whitespace-pre']"],
    replyText: [".markdown-container-style", ".prose"],
    skip: "",
    // code blocks: a header (language label, Copy) above the <pre>
    codeBlocks: "div:has(> div:first-child button):has(> pre:last-child):not(:has(> :nth-child(3)))",
    busy: "[aria-busy='true']",
    // the send button turns into a stop button: a rounded square icon
    streamingDoc: ["form rect[rx='2']"],
    shell: ["textarea[name='message.text']", "form textarea[placeholder^='Ask Le Chat']", "form textarea[placeholder^='Ask Vibe']"],
    // the Fast / Think toggle (2026), else the pressed mode button of the 2025 tool row
    mode: ["form [role='radiogroup'] [role='radio'][aria-checked='true']", "form button[role='radio'][aria-checked='true']"],
    pressed: "form button[aria-pressed='true']",
  };
  // Replies and reasoning are read back as the Markdown the model wrote (prompts are plain text).
  const REPLY = { skip: S.skip, markdown: true, codeBlocks: S.codeBlocks };
  const THOUGHT_LABEL = /^\s*(thought|thinking|reasoned|reasoning|worked)\b/i;
  const MODE = /^(think|research|deep research)$/i; // pressed tool buttons that choose how the model answers

  function messages(doc) {
    for (const [user, ai] of S.messages) {
      const found = [...doc.querySelectorAll(`${user}, ${ai}`)];
      if (found.length) return found.map((el) => ({ el, ai: el.matches(ai) }));
    }
    return [];
  }

  /** The reasoning disclosure: its label button, the panel it opens, the box holding both. */
  function thoughts(msg, texts) {
    for (const b of msg.querySelectorAll("button, [role='button'], [aria-expanded]")) {
      if (texts.some((t) => t.contains(b))) continue;
      const label = b.textContent.trim();
      if (!label || label.length > 60 || !THOUGHT_LABEL.test(label)) continue;
      const id = b.getAttribute("aria-controls");
      const panel = id ? [...msg.querySelectorAll("[id]")].find((el) => el.id === id) || null : null;
      let box = b.parentElement;
      while (panel && box !== msg && !box.contains(panel)) box = box.parentElement;
      return { seconds: dom.parseDuration(label), panel, box };
    }
    return null;
  }

  /** The reply's text containers, outside the reasoning disclosure (which renders prose too). */
  function replyParts(msg, t) {
    const inBox = (el) => Boolean(t) && t.box !== msg && t.box.contains(el);
    for (const sel of S.replyText) {
      const found = [...msg.querySelectorAll(sel)].filter((el) => !inBox(el)
        && !(el.parentElement && el.parentElement.closest(sel) && msg.contains(el.parentElement.closest(sel))));
      if (found.length) return found;
    }
    return [];
  }

  /** Where a reply's parts are: its reasoning disclosure and its text containers. */
  function layout(msg) {
    const t = thoughts(msg, [...msg.querySelectorAll(S.replyText.join(","))]);
    return { t, parts: replyParts(msg, t) };
  }

  const infos = new WeakMap(); // reply element -> {text, ...info}: kept while the exchange's text is unchanged

  /** The parts of an exchange and its identity (a hash of the prompt and the visible reply). */
  function info({ user, msg }) {
    const text = `${user.textContent}\u0001${msg.textContent}`;
    const hit = infos.get(msg);
    if (hit && hit.text === text && hit.user === user && hit.parts.every((p) => msg.contains(p))) return hit;
    const { t, parts } = layout(msg);
    const prompt = dom.readText(dom.first(user, S.userText) || user, { skip: S.skip });
    const value = { text, user, t, parts, prompt, base: dom.identity(prompt, parts, S.skip) };
    infos.set(msg, value);
    return value;
  }

  /**
   * The action row (copy is its 6th icon): buttons outside the reply text and the reasoning
   * disclosure; a disclosure toggle (aria-expanded: a reasoning label in another language) is none.
   */
  function hasActions(msg) {
    const { t, parts } = layout(msg);
    return [...msg.querySelectorAll("button:not([aria-expanded])")].some((b) => !parts.some((p) => p.contains(b))
      && !(t && t.box !== msg && t.box.contains(b)));
  }

  function pageModel(doc) {
    const radio = dom.first(doc, S.mode);
    if (radio) return radio.textContent.trim() || null;
    const modes = [...doc.querySelectorAll(S.pressed)].map((b) => b.textContent.trim()).filter((t) => MODE.test(t));
    return modes.length ? modes.join(" ") : null;
  }

  registerAdapter({
    id: "mistral",
    selectors: S,

    conversationId(loc) {
      const m = /^\/chat\/([0-9a-zA-Z-]{8,})(?:[/?#]|$)/.exec(loc.pathname);
      return m ? m[1] : null;
    },

    isConversationUrl(loc) {
      return /^\/chat\/./.test(loc.pathname);
    },

    modelLabel: pageModel,

    readTurns(doc) {
      return dom.hashedTurns(doc, messages(doc), {
        info, busy: S.busy, reply: REPLY, codeBlocks: S.codeBlocks, modelLabel: pageModel,
        finished: (pair) => hasActions(pair.msg),
      });
    },
  });
})();
