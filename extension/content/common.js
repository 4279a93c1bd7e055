// Shared by the content scripts (classic scripts, one isolated world per page): the adapter
// registry and the DOM helpers every adapter uses. Reads the page only; never writes HTML.
//
// An adapter (extension/sites/<id>.js) registers
//   {id, selectors, conversationId(location), title(doc), modelLabel(doc),
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
   * With `markdown: true` (replies and reasoning), the Markdown the model emitted is rebuilt from
   * the rendered HTML instead (see readMarkdown), so its markers count as the output tokens they were.
   * `codeBlocks`: a selector for a site's own code-block wrappers (a header with the language label
   * and buttons, then the <pre>), each read as one fenced block whose language is that label.
   */
  function readText(root, { skip = "", pre = false, markdown = false, codeBlocks = "" } = {}) {
    if (!root) return "";
    const skipSel = skip ? `${SKIP_SELECTOR},${skip}` : SKIP_SELECTOR;
    if (markdown && !pre) return readMarkdown(root, skipSel, codeBlocks);
    return readPlain(root, skipSel, pre || root.matches(PRE_SELECTOR));
  }

  function readPlain(root, skipSel, rootPre) {
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
          const tex = child.querySelector(TEX);
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

    walk(root, rootPre);
    return out.join("")
      // eslint-disable-next-line no-control-regex -- NUL is the block-break marker the walk writes
      .replace(/ *\u0000[\u0000 ]*/g, "\n")
      .replace(/\u00a0/g, " ")
      .replace(/^\n+|\n+$/g, "")
      .replace(/ +$/, "");
  }

  // ---- Markdown reconstruction -------------------------------------------------------------
  // The sites render the model's Markdown to HTML; the tokens it was billed for include the
  // markers. This writes back what a model typically emits for each element: "#" headings,
  // **strong**, *em*, ~~del~~, `code`, fenced code with the language (read once, from a class
  // or the site's code-block header, never also as text), "- " / "1. " lists indented by their
  // marker, "> " quotes, pipe tables with a separator row, [text](href) links, "---" rules and
  // $TeX$ math. Blocks are separated by a blank line, list items by a newline. Not rebuilt: the
  // exact whitespace, backslash escapes, images, raw HTML, footnotes.
  const TEX = "annotation[encoding='application/x-tex']";
  const HEADING = { H1: "#", H2: "##", H3: "###", H4: "####", H5: "#####", H6: "######" };
  const WRAP = { STRONG: "**", B: "**", EM: "*", I: "*", DEL: "~~", S: "~~", STRIKE: "~~" };
  const LANG_CLASS = /(?:^|\s)(?:language|lang)-([^\s]+)/;
  const LANG_LABEL = /^[\w.+#-]{1,32}$/;
  // Chat sites append their own tracking parameter to the links the model wrote (ChatGPT: its host
  // name as utm_source, last in the query): a trailing utm_source naming a host is the site's.
  const SITE_PARAM = /[?&]utm_source=[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$/;

  function readMarkdown(root, skipSel, codeBlocks = "") {
    // A box collects the blocks of one container; `buf` is the paragraph being written.
    const newBox = () => ({ blocks: [], buf: [], space: true, gen: 0 });

    function put(box, text) { // text node: HTML whitespace collapses
      let t = text.replace(/[\t\n\r\f ]+/g, " ");
      if (box.space && t.charCodeAt(0) === 32) t = t.slice(1);
      if (!t) return;
      box.buf.push(t);
      box.space = t.charCodeAt(t.length - 1) === 32;
    }

    function flush(box) {
      if (box.buf.length) {
        const t = box.buf.join("").replace(/ *\n */g, "\n").trim();
        if (t) box.blocks.push(t);
        box.buf = [];
      }
      box.space = true;
      box.gen += 1;
    }

    function block(box, text) {
      flush(box);
      if (text) box.blocks.push(text);
    }

    function blocksOf(el) {
      const box = newBox();
      walk(el, box);
      flush(box);
      return box.blocks;
    }

    function walk(node, box) {
      for (let c = node.firstChild; c; c = c.nextSibling) {
        if (c.nodeType === 3) { put(box, c.data); continue; }
        if (c.nodeType !== 1) continue;
        const tag = c.tagName.toUpperCase();
        if (tag === "BR") { box.buf.push("\n"); box.space = true; continue; }
        if (tag === "INPUT" && c.type === "checkbox") { // a task list item
          box.buf.push(c.checked ? "[x] " : "[ ] ");
          box.space = true;
          continue;
        }
        if (SKIP_TAGS.has(tag) || c.matches(skipSel)) continue;
        element(c, tag, box);
      }
    }

    function element(c, tag, box) {
      const wrap = WRAP[tag];
      if (wrap) { around(c, box, wrap, wrap); return; }
      if (tag === "A") { link(c, box); return; }
      if (tag === "CODE") { codeSpan(c, box); return; }
      if (tag === "PRE" || tag === "CODE-BLOCK" || c.classList.contains("md-code-block")
          || (codeBlocks && c.matches(codeBlocks))) {
        block(box, fence(c));
        return;
      }
      if (math(c, box)) return;
      const h = HEADING[tag];
      if (h) { const t = blocksOf(c).join(" "); block(box, t && `${h} ${t}`); return; }
      if (tag === "UL" || tag === "OL") { block(box, list(c)); return; }
      if (tag === "LI") { block(box, item(c, "- ")); return; }
      if (tag === "BLOCKQUOTE") { block(box, quote(blocksOf(c).join("\n\n"))); return; }
      if (tag === "TABLE") { block(box, table(c)); return; }
      if (tag === "HR") { block(box, "---"); return; }
      if (typeof c.className === "string" && c.className.includes("whitespace-pre") && c.matches(PRE_SELECTOR)) {
        block(box, readPlain(c, skipSel, true));
        return;
      }
      if (BLOCK.has(tag)) { flush(box); walk(c, box); flush(box); return; }
      walk(c, box); // inline or unknown elements (spans, custom elements) are transparent
    }

    /** Inline content of `el` between two markers; whitespace at its edges stays outside them. */
    function around(el, box, open, close) {
      const start = box.buf.length, gen = box.gen;
      walk(el, box);
      if (box.gen !== gen) return; // a block inside an inline element: leave it unmarked
      const inner = box.buf.splice(start).join("");
      const m = /^(\s*)([\s\S]*?)(\s*)$/.exec(inner);
      if (!m[2]) { if (inner) box.buf.push(inner); return; }
      box.buf.push(m[1] + open + m[2] + close + m[3]);
      box.space = m[3].length > 0;
    }

    function link(el, box) {
      let href = el.getAttribute("href") || "";
      if (!href || /^\s*javascript:/i.test(href)) { walk(el, box); return; }
      href = href.replace(SITE_PARAM, "");
      const start = box.buf.length, gen = box.gen;
      walk(el, box);
      if (box.gen !== gen) return;
      const inner = box.buf.splice(start).join("");
      const m = /^(\s*)([\s\S]*?)(\s*)$/.exec(inner);
      if (!m[2]) { if (inner) box.buf.push(inner); return; }
      // An autolink shows its own URL: the model wrote the bare URL.
      const bare = m[2] === href || `mailto:${m[2]}` === href;
      box.buf.push(m[1] + (bare ? m[2] : `[${m[2]}](${href})`) + m[3]);
      box.space = m[3].length > 0;
    }

    function codeSpan(el, box) {
      const t = el.textContent.replace(/[\t\n\r\f ]+/g, " ");
      if (!t.trim()) return;
      const tick = t.includes("`") ? "``" : "`";
      const pad = tick.length > 1 ? " " : "";
      box.buf.push(tick + pad + t + pad + tick);
      box.space = false;
    }

    /** KaTeX (its TeX annotation) and data-math: $inline$ or a $$ display block. */
    function math(el, box) {
      let tex = el.getAttribute("data-math");
      let display = false;
      if (tex !== null) display = el.classList.contains("math-block");
      else if (el.classList.contains("katex") || (display = el.classList.contains("katex-display"))) {
        const a = el.querySelector(TEX);
        if (!a) return false;
        tex = a.textContent;
      } else return false;
      tex = tex.trim();
      if (display) block(box, tex && `$$\n${tex}\n$$`);
      else if (tex) { box.buf.push(`$${tex}$`); box.space = false; }
      return true;
    }

    /** A fenced code block from <pre>, ChatGPT's pre with header, Gemini's code-block, DeepSeek's md-code-block,
     * or a wrapper matching the adapter's `codeBlocks` selector. */
    function fence(el) {
      const pre = el.tagName === "PRE" ? el : el.querySelector("pre");
      if (!pre) return blocksOf(el).join("\n\n");
      const code = pre.querySelector("code") || pre;
      let lang = "";
      const m = LANG_CLASS.exec(code.className) || LANG_CLASS.exec(pre.className);
      if (m) lang = m[1];
      else if (code !== el) {
        // the site's header (language label; its buttons are skipped): read here, not as text
        const label = header(el, code, []).join(" ").trim().split(/\s+/)[0];
        if (LANG_LABEL.test(label)) lang = label.toLowerCase();
      }
      const body = readPlain(code, skipSel, true).replace(/\n$/, "");
      const tick = body.includes("```") ? "````" : "```";
      return `${tick}${lang}\n${body}\n${tick}`;
    }

    /** Visible text of `node` outside the subtree of `target`. */
    function header(node, target, out) {
      for (let c = node.firstChild; c; c = c.nextSibling) {
        if (c === target) continue;
        if (c.nodeType === 3) { out.push(c.data); continue; }
        if (c.nodeType !== 1) continue;
        if (c.contains(target)) header(c, target, out);
        else if (!SKIP_TAGS.has(c.tagName.toUpperCase()) && !c.matches(skipSel)) out.push(readPlain(c, skipSel, false));
      }
      return out;
    }

    function list(el) {
      const ordered = el.tagName.toUpperCase() === "OL";
      let n = ordered ? parseInt(el.getAttribute("start") || "1", 10) : 0;
      if (Number.isNaN(n)) n = 1;
      const items = [];
      for (let c = el.firstElementChild; c; c = c.nextElementSibling) {
        const tag = c.tagName.toUpperCase();
        if (SKIP_TAGS.has(tag) || c.matches(skipSel)) continue;
        if (tag !== "LI") { // stray content; a list nested without its <li> goes under the last item
          const t = tag === "UL" || tag === "OL" ? list(c).replace(/^(?=.)/gm, "  ") : blocksOf(c).join("\n");
          if (t) items.push(t);
          continue;
        }
        items.push(item(c, ordered ? `${n++}. ` : "- "));
      }
      return items.join("\n");
    }

    /** One list item: marker, then its blocks with continuation lines indented under the text. */
    function item(li, marker) {
      const body = blocksOf(li).join("\n");
      const pad = " ".repeat(marker.length);
      return (marker + body.replace(/\n(?=[^\n])/g, `\n${pad}`)).trimEnd();
    }

    function quote(text) {
      return text && text.replace(/^/gm, "> ").replace(/^> $/gm, ">");
    }

    function table(el) {
      const rows = [];
      for (const tr of el.rows) {
        if (tr.matches(skipSel)) continue;
        const cells = [...tr.cells].map((td) => blocksOf(td).join(" ").replace(/\n/g, "<br>").replace(/\|/g, "\\|"));
        if (!cells.length) continue;
        rows.push(`| ${cells.join(" | ")} |`);
        if (rows.length === 1) rows.push(`| ${[...tr.cells].map(align).join(" | ")} |`);
      }
      return rows.join("\n");
    }

    function align(cell) {
      const a = (cell.getAttribute("align") || cell.style.textAlign || "").toLowerCase();
      return a === "center" ? ":---:" : a === "right" ? "---:" : a === "left" ? ":---" : "---";
    }

    const box = newBox();
    element(root, root.tagName.toUpperCase(), box);
    flush(box);
    return box.blocks.join("\n\n").replace(/\u00a0/g, " ");
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

  /**
   * A short id for an exchange without a site id: a hash of its prompt and of the reply's visible
   * text (plain reading, never the Markdown rebuilt for counting), so that improving how replies
   * are counted can never make an already recorded turn look new and count it twice.
   */
  function identity(prompt, replyEls, skip = "") {
    const visible = replyEls.filter(Boolean).map((el) => readText(el, { skip })).filter(Boolean).join("\n");
    return hash(prompt + "\u0001" + visible);
  }

  /**
   * Turns of a page that shows no message ids (Copilot, Le Chat): user and assistant messages in
   * page order ({el, ai}) paired, a reply whose prompt is not rendered left out. A turn's gen is a
   * hash of its prompt and visible reply (`info(pair)` -> {prompt, parts, t, base}), with a -n
   * suffix for the same exchange repeated earlier in the page; `finished(pair)` is the site's own
   * signal, `busy` the selector of its stop control inside a reply.
   */
  function hashedTurns(doc, messages, { info, busy, finished, reply, codeBlocks, modelLabel }) {
    const pairs = [];
    let user = null;
    for (const { el, ai } of messages) {
      if (!ai) { user = el; continue; }
      if (user) pairs.push({ user, msg: el });
      user = null;
    }
    return pairs.map((pair, index) => {
      const streaming = Boolean(pair.msg.querySelector(busy));
      return {
        els: [pair.user, pair.msg],
        slot: `turn-${index}`,
        index,
        streaming,
        finished: !streaming && finished(pair),
        read() {
          const { prompt, parts, t, base } = info(pair);
          const n = pairs.slice(0, index).filter((p) => info(p).base === base).length;
          const panel = t && t.panel && !t.panel.closest("[hidden]") ? t.panel : null;
          return {
            gen: n ? `h-${base}-${n}` : `h-${base}`,
            prompt,
            reply: parts.map((p) => readText(p, reply)).filter(Boolean).join("\n\n"),
            reasoning: panel ? readText(panel, { markdown: true, codeBlocks }) : "",
            reasoningSeconds: t ? t.seconds : null,
            modelLabel: modelLabel(doc),
            anchor: parts[parts.length - 1] || pair.msg,
          };
        },
      };
    });
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
    dom: { readText, first, all, outside, parseDuration, hash, identity, hashedTurns, titleFrom },
  };
})();
