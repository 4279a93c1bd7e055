// Shared by the content scripts (classic scripts, one isolated world per page): the adapter
// registry and the DOM helpers every adapter uses. Reads the page only; never writes HTML.
//
// An adapter (extension/sites/<id>.js) registers
//   {id, hosts, selectors, conversationId(location), title(doc), modelLabel(doc),
//    readTurns(doc) -> [{els, slot, index, finished, streaming, prevGen?, read() -> {gen, prompt, reply,
//                        reasoning, reasoningSeconds, modelLabel, anchor}}] in page order}
// (prevGen: the generation before a turn when the adapter returns no turn for it, e.g. a reply
// whose prompt is unmounted; otherwise the observer takes the previous turn's gen.)
// and may override recognise(doc), streaming(doc) and isConversationUrl(location).
// and the shared observer (content/observer.js) does everything else.
(() => {
  if (globalThis.PromptWatt) return;

  const adapters = {};

  const BLOCK = new Set([
    "ADDRESS", "ARTICLE", "ASIDE", "BLOCKQUOTE", "DD", "DETAILS", "DIALOG", "DIV", "DL", "DT", "FIELDSET",
    "FIGCAPTION", "FIGURE", "FOOTER", "FORM", "H1", "H2", "H3", "H4", "H5", "H6", "HEADER", "HGROUP", "HR", "LI",
    "MAIN", "NAV", "OL", "P", "PRE", "SECTION", "SUMMARY", "TABLE", "TBODY", "THEAD", "TFOOT", "TR", "UL",
  ]);
  const SKIP_TAGS = new Set([
    "SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "SVG", "BUTTON", "IMG", "PICTURE", "VIDEO", "AUDIO", "CANVAS",
    "IFRAME", "INPUT", "TEXTAREA", "SELECT", "MAT-ICON", "PROMPTWATT-BADGE",
  ]);
  // Hidden screen-reader labels, UI chrome inside bubbles, our own badge.
  const SKIP_SELECTOR = [
    ".sr-only", ".cdk-visually-hidden", "[class*='screen-reader-']", "[data-find-omitted]", "[hidden]",
    "[role='button']", ".katex-html", "promptwatt-badge",
  ].join(",");
  // Elements whose whitespace the site preserves with CSS (user prompts keep their line breaks).
  const PRE_SELECTOR = ".whitespace-pre-wrap, .whitespace-pre, .whitespace-pre-line";
  const BREAK = "\u0000";

  /**
   * Visible text of an element as a reader would copy it: block elements on their own lines,
   * HTML whitespace collapsing outside <pre>, screen-reader text and buttons left out, math as
   * its source (KaTeX annotation, data-math). Independent of layout, so it works in hidden tabs.
   */
  function readText(root, { skip = "", pre = false } = {}) {
    if (!root) return "";
    const skipSel = skip ? `${SKIP_SELECTOR},${skip}` : SKIP_SELECTOR;
    const out = [];
    let space = true; // the last emitted character was whitespace or a break

    function emit(text, pre) {
      if (!text) return;
      if (pre) {
        out.push(text);
        space = /\s$/.test(text);
        return;
      }
      let t = text.replace(/[\t\n\r\f ]+/g, " ");
      if (space && t.startsWith(" ")) t = t.slice(1);
      if (!t) return;
      out.push(t);
      space = t.endsWith(" ");
    }

    function brk() {
      out.push(BREAK);
      space = true;
    }

    function walk(node, pre) {
      for (let child = node.firstChild; child; child = child.nextSibling) {
        if (child.nodeType === 3) { emit(child.data, pre); continue; }
        if (child.nodeType !== 1) continue;
        const tag = child.tagName.toUpperCase();
        if (tag === "BR") { if (pre) out.push("\n"); else brk(); continue; }
        if (SKIP_TAGS.has(tag) || child.matches(skipSel)) continue;
        const math = child.getAttribute("data-math");
        if (math !== null) { emit(math, pre); continue; }
        if (child.classList.contains("katex")) {
          const tex = child.querySelector("annotation[encoding='application/x-tex']");
          if (tex) { emit(tex.textContent, pre); continue; }
        }
        const block = BLOCK.has(tag);
        if (block) brk();
        const isPre = pre || tag === "PRE" || child.matches(PRE_SELECTOR);
        if (tag === "TD" || tag === "TH") emit(" ", isPre);
        walk(child, isPre);
        if (block) brk();
      }
    }

    walk(root, pre || root.matches(PRE_SELECTOR));
    return out.join("")
      .replace(/ *\u0000[\u0000 ]*/g, "\n")
      .replace(/\u00a0/g, " ")
      .replace(/^\n+|\n+$/g, "")
      .replace(/ +$/, "");
  }

  /** First match of a list of fallback selectors (the first selector that matches wins). */
  function first(root, selectors) {
    for (const s of selectors) {
      const el = root.querySelector(s);
      if (el) return el;
    }
    return null;
  }

  /** All matches of the first selector of a fallback list that matches anything. */
  function all(root, selectors) {
    for (const s of selectors) {
      const found = root.querySelectorAll(s);
      if (found.length) return [...found];
    }
    return [];
  }

  /** Elements matching `selector` under root that are not inside an element matching `excluded` within root. */
  function outside(root, selector, excluded) {
    return [...root.querySelectorAll(selector)].filter((el) => {
      const wrap = el.parentElement && el.parentElement.closest(excluded);
      return !wrap || !root.contains(wrap);
    });
  }

  /**
   * Seconds from a reasoning-duration label: "Thought for 12s", "Thought for 1m 5s",
   * "Worked for 7m 23s", "Thought for 12 seconds", "已深度思考（用时 12 秒）". null if none.
   */
  function parseDuration(text) {
    if (!text) return null;
    const t = text.replace(/\s+/g, " ");
    const zh = /用时\s*(\d+(?:\.\d+)?)\s*秒/.exec(t);
    if (zh) return Number(zh[1]);
    const m = /\b(?:thought|worked|reasoned|thinking) for ([^.,;]*)/i.exec(t);
    if (!m) return null;
    let secs = 0, any = false;
    for (const part of m[1].matchAll(/(\d+(?:\.\d+)?)\s*(h|hours?|m|min(?:utes?)?|s|sec(?:onds?)?)\b/gi)) {
      const unit = part[2].toLowerCase();
      secs += Number(part[1]) * (unit.startsWith("h") ? 3600 : unit.startsWith("m") ? 60 : 1);
      any = true;
    }
    return any ? secs : null;
  }

  /** 53-bit FNV-1a style hash of a string (dedupes generations on sites without message ids). */
  function hash(text) {
    let h1 = 0x811c9dc5, h2 = 0x01000193;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    return ((h2 >>> 0) % 0x200000).toString(36) + (h1 >>> 0).toString(36);
  }

  function titleFrom(doc, suffixes) {
    let t = (doc.title || "").trim();
    for (const s of suffixes) if (t.endsWith(s)) t = t.slice(0, -s.length).trim();
    return t;
  }

  globalThis.PromptWatt = {
    adapters,
    // Defaults every site shares unless its adapter says otherwise: recognised when the app shell
    // is found, streaming while the stop control shows, a conversation page when the URL has an id.
    registerAdapter(adapter) {
      adapters[adapter.id] = {
        recognise(doc) { return Boolean(first(doc, this.selectors.shell)); },
        streaming(doc) { return Boolean(first(doc, this.selectors.streamingDoc)); },
        isConversationUrl(loc) { return this.conversationId(loc) !== null; },
        ...adapter,
      };
    },
    dom: { readText, first, all, outside, parseDuration, hash, titleFrom },
  };
})();
