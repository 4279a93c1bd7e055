// Perplexity (hosts in the site registry). Selectors per the DOM research notes (docs/sites.md §5):
// the 2026 thread (fixture tests/browser/fixtures/perplexity.html: query .whitespace-pre-line
// text, answer .prose.text-pretty) and the 2025 one (perplexity_2025.html: the query an h1 of
// Lexical text spans, the answer in div[id^='markdown-content-']). Each list is tried in order;
// the first that matches wins. A thread entry is a query and the answer blocks after it; Perplexity
// renders no message ids, so a generation is a hash of the entry's visible text.
(() => {
  const { registerAdapter, dom } = globalThis.PromptWatt;

  const S = {
    query: [".whitespace-pre-line.text-pretty.break-words", "[class~='group/query'] h1", "h1[class~='group/query']",
            "[class~='group/query'] span[data-lexical-text='true']"],
    answer: [".prose.text-pretty[class~='dark:prose-invert']", "[id^='markdown-content-'] .prose",
             ".prose[class~='dark:prose-invert']"],
    // the editor (Lexical, like the composer) is not a query
    notQuery: "[contenteditable='true'], [data-lexical-editor='true']",
    // citation chips ("example+1", "2") and the copy buttons of tables and code
    skip: ".citation, [data-pplx-citation], [data-pplx-citation-url], [data-testid='copy-query-button']",
    // code blocks: Perplexity puts the language header inside the <pre> (read by the shared fence);
    // a header block above the <pre> is read the same way
    codeBlocks: "div:has(> div:first-child button):has(> pre:last-child):not(:has(> :nth-child(3)))",
    // the answer's action row (Share / Rewrite / Copy), rendered once the answer is complete
    actions: "button[aria-label='Rewrite'], button[aria-label='Copy']",
    busy: "[aria-busy='true']",
    streamingDoc: ["button[aria-label='Stop generating response']"],
    shell: ["#ask-input", ".max-w-threadContentWidth", "textarea[placeholder^='Ask']",
            "button[aria-label='Choose a model']"],
    model: ["button[aria-label='Choose a model']", "button[aria-label='Model'][aria-haspopup]"],
  };
  // Answers and reasoning are read back as the Markdown the model wrote (queries are plain text).
  const REPLY = { skip: S.skip, markdown: true, codeBlocks: S.codeBlocks };
  const THOUGHT_LABEL = /^\s*(thought|thinking|reasoned|reasoning|worked)\b/i;

  /** Thread entries: each query with the answer blocks rendered after it, in page order. */
  function entries(doc) {
    let qSel = "", aSel = "";
    for (const s of S.query) if (!qSel && [...doc.querySelectorAll(s)].some((q) => !q.closest(S.notQuery))) qSel = s;
    for (const s of S.answer) if (!aSel && doc.querySelector(s)) aSel = s;
    if (!qSel || !aSel) return [];
    const out = [];
    for (const el of doc.querySelectorAll(`${qSel}, ${aSel}`)) {
      if (el.matches(aSel)) {
        if (out.length && !(el.parentElement && el.parentElement.closest(aSel))) out[out.length - 1].answers.push(el);
      } else if (!el.closest(S.notQuery) && !el.closest(aSel)) {
        out.push({ query: el, answers: [] });
      }
    }
    const found = out.filter((e) => e.answers.length);
    found.forEach((e, i) => { e.next = found[i + 1] ? found[i + 1].query : null; });
    return found;
  }

  /** Whether `el` comes after `a` (when given) and before `b` (when given) in the page. */
  function between(el, a, b) {
    return (!a || Boolean(a.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING))
      && (!b || Boolean(el.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING));
  }

  /** The smallest block holding an entry's query and its last answer. */
  function container(entry) {
    const last = entry.answers[entry.answers.length - 1];
    let box = entry.query.parentElement;
    while (box && !box.contains(last)) box = box.parentElement;
    return box;
  }

  /** The reasoning disclosure (between the query and the answer): its label, its panel, the box holding both. */
  function thoughts(box, entry) {
    if (!box) return null;
    const last = entry.answers[entry.answers.length - 1];
    for (const b of box.querySelectorAll("button, [role='button'], [aria-expanded]")) {
      if (entry.answers.some((a) => a.contains(b)) || !between(b, entry.query, last)) continue;
      const label = b.textContent.trim();
      if (!label || label.length > 60 || !THOUGHT_LABEL.test(label)) continue;
      const id = b.getAttribute("aria-controls");
      const panel = id ? [...box.querySelectorAll("[id]")].find((el) => el.id === id) || null : null;
      let wrap = b.parentElement;
      while (panel && wrap !== box && !wrap.contains(panel)) wrap = wrap.parentElement;
      return { seconds: dom.parseDuration(label), panel, box: wrap };
    }
    return null;
  }

  const infos = new WeakMap(); // query element -> {text, ...info}: kept while the entry's text is unchanged

  /** The parts of an entry and its identity (a hash of the query and the visible answer). */
  function info(entry) {
    const box = container(entry);
    const text = `${(box || entry.query).textContent}`;
    const hit = infos.get(entry.query);
    if (hit && hit.text === text && hit.answers.length === entry.answers.length
        && hit.answers.every((a, i) => a === entry.answers[i] && a.isConnected)) return hit;
    const t = thoughts(box, entry);
    const parts = entry.answers.filter((a) => !(t && t.box !== box && t.box.contains(a)));
    const prompt = dom.readText(entry.query, { skip: S.skip });
    const value = { text, box, answers: entry.answers, t, parts, prompt, base: dom.identity(prompt, parts, S.skip) };
    infos.set(entry.query, value);
    return value;
  }

  function pageModel(doc) {
    const el = dom.first(doc, S.model);
    const text = el ? dom.readText(el).split("\n").join(" ").trim() : "";
    return text || null;
  }

  registerAdapter({
    id: "perplexity",
    selectors: S,

    conversationId(loc) {
      const m = /^\/search\/([^/?#]{6,})(?:[/?#]|$)/.exec(loc.pathname);
      return m && m[1] !== "new" ? decodeURIComponent(m[1]) : null;
    },

    isConversationUrl(loc) {
      return /^\/search\/./.test(loc.pathname);
    },

    modelLabel: pageModel,

    readTurns(doc) {
      const list = entries(doc);
      const anyActions = Boolean(doc.querySelector(S.actions));
      return list.map((entry, index) => {
        const box = container(entry);
        const busy = Boolean(box && box.querySelector(S.busy));
        // the action row under the answer (not one of a later entry, where entries share a block)
        const last = entry.answers[entry.answers.length - 1];
        const hasActions = Boolean(box) && [...box.querySelectorAll(S.actions)]
          .some((b) => !entry.answers.some((a) => a.contains(b)) && between(b, last, entry.next));
        return {
          els: [entry.query, ...entry.answers],
          slot: `entry-${index}`,
          index,
          streaming: busy,
          finished: !busy && (hasActions || !anyActions),
          read() {
            const { prompt, parts, t, base } = info(entry);
            // the same query and answer earlier in the thread: a separate exchange
            const n = list.slice(0, index).filter((e) => info(e).base === base).length;
            const panel = t && t.panel && !t.panel.closest("[hidden]") ? t.panel : null;
            return {
              gen: n ? `h-${base}-${n}` : `h-${base}`,
              prompt,
              reply: parts.map((p) => dom.readText(p, REPLY)).filter(Boolean).join("\n\n"),
              reasoning: panel ? dom.readText(panel, { markdown: true, skip: S.skip, codeBlocks: S.codeBlocks }) : "",
              reasoningSeconds: t ? t.seconds : null,
              modelLabel: pageModel(doc),
              anchor: parts[parts.length - 1] || entry.answers[entry.answers.length - 1],
            };
          },
        };
      });
    },
  });
})();
