// The shared observer: runs the page's adapter and does what every site needs.
//  * Recognition: if the adapter finds neither turns nor its app shell within RECOGNISE_MS, the
//    page is reported as not recognised (the popup says so) and left untouched.
//  * Streaming: a reply is sent once, when the site's finished signal and a text-stability
//    debounce agree (text unchanged for STABLE_MS over at least two finished observations).
//  * Stable ids: sent generations are remembered by id; the service worker dedupes again by
//    (platform, conversation, generation), so reloads, re-renders and scrolling back add nothing.
//  * SPA navigation: location is polled (a content script cannot see the page's pushState);
//    turns still on screen when the conversation changes belong to the old one and are skipped.
//  * Text is read lazily and cached per turn until a mutation touches it (cheap on long pages).
//  * Chain: each exchange names the generation rendered just before it (prev_gen, null when none),
//    which the service worker follows to count the context the model saw. When a turn already
//    sent with nothing before it later gets one (older turns lazy-loaded or mounted above), the
//    link is sent on its own (ids only, no text).
//  * Badges follow the settings: told by the service worker, the page asks again for the figures of
//    the turns it sent, and for whether badges are shown (see refreshBadges).
(() => {
  const PW = globalThis.PromptWatt;
  if (!PW || PW.observer) return;
  const adapter = Object.values(PW.adapters).find((a) => a.hosts.includes(location.hostname));
  if (!adapter) return;

  const STABLE_MS = 1200;
  const SCAN_MS = 100; // throttle of mutation-triggered scans
  const RECHECK_MS = 150; // second look at a reply that seems finished
  const RECOGNISE_MS = 4000;
  const URL_POLL_MS = 500;
  const RETRY_MS = 2000; // first retry of an exchange the service worker did not take; doubles up to RETRY_MAX_MS
  const RETRY_MAX_MS = 60000;

  const sent = new Set(); // generations acknowledged by the service worker
  const inflight = new Set();
  const stale = new Map(); // generation -> the conversation it was on screen in when the URL changed
  const slots = new Map(); // slot -> {sig, since, finishedSeen}
  const summaries = new Map(); // generation -> recorded summary (for badges)
  const convOf = new Map(); // sent generation -> its conversation (to ask for its figures again)
  const prevOf = new Map(); // sent generation -> the prev_gen the service worker holds for it (null: none)
  const linking = new Set(); // generations whose predecessor is being sent
  const refusals = new Map(); // generation -> sends in a row the service worker did not take
  const cache = new WeakMap(); // last turn element -> read() result
  const touched = new Set(); // nodes mutated since the last scan
  let touchedAll = true;
  let href = location.href;
  let conv = adapter.conversationId(location);
  let since = performance.now();
  let recognised = null; // null: undecided, then true / false (reported on change)
  let badges = true;
  let timer = null;
  let timerDue = 0;
  let deadline = null;
  // cost accounting, read by bench/bench_extension.py
  // (and refused: exchanges the service worker did not take, each tried again later)
  const stats = { scans: 0, totalMs: 0, maxMs: 0, lastMs: 0, batches: 0, batchMs: 0, scanTimes: [], refused: 0 };

  function send(type, data) {
    return chrome.runtime.sendMessage({ target: "background", type, data });
  }

  /** Scans after `delay` ms, unless a scan is already due sooner. */
  function schedule(delay = SCAN_MS) {
    const due = performance.now() + delay;
    if (timer !== null) {
      if (due >= timerDue) return;
      clearTimeout(timer);
    }
    timerDue = due;
    timer = setTimeout(() => { timer = null; scan(); }, delay);
  }

  function setRecognised(value) {
    if (recognised === value) return;
    recognised = value;
    send("siteStatus", { platform: adapter.id, host: location.hostname, recognised: value }).catch(() => {});
  }

  function navigated() {
    const next = adapter.conversationId(location);
    if (conv && next !== conv) {
      // Turns still rendered are the old conversation's: never record them under the new id.
      try {
        for (const t of adapter.readTurns(document)) stale.set(readCached(t).gen, conv);
      } catch { /* page mid-render */ }
    }
    conv = next;
    href = location.href;
    slots.clear();
    since = performance.now();
    if (recognised === false) recognised = null;
    armDeadline();
  }

  function armDeadline() {
    clearTimeout(deadline);
    deadline = setTimeout(() => scan(), RECOGNISE_MS + 50);
  }

  function readCached(turn) {
    const key = turn.els[turn.els.length - 1];
    const hit = cache.get(key);
    if (hit && !touchedAll && ![...touched].some((n) => turn.els.some((el) => el.contains(n)))) return hit;
    const value = turn.read();
    cache.set(key, value);
    return value;
  }

  function signature(r) {
    return `${r.reply.length}:${r.prompt.length}:${r.reasoning.length}:${PW.dom.hash(r.reply)}`;
  }

  function drawBadge(gen, anchor) {
    const s = summaries.get(gen);
    if (badges && s && anchor) PW.badge.attach(anchor, s);
  }

  async function submit(turn, r, prev, conversationId) {
    inflight.add(r.gen);
    let taken = false;
    try {
      const reply = await send("exchange", {
        platform: adapter.id, conversation_id: conversationId, gen: r.gen, prev_gen: prev, turn_index: turn.index,
        title: PW.dom.titleFrom(document, adapter.titleSuffixes || []), model_label: r.modelLabel,
        prompt: r.prompt, reply: r.reply, reasoning: r.reasoning, reasoning_seconds: r.reasoningSeconds,
        observed_at: Date.now(),
      });
      if (reply && reply.ok) {
        taken = true;
        sent.add(r.gen);
        convOf.set(r.gen, conversationId);
        prevOf.set(r.gen, prev);
        if (reply.value.status === "recorded") {
          summaries.set(r.gen, reply.value.record);
          prevOf.set(r.gen, reply.value.record.prev_gen ?? prev);
          schedule(0);
        }
      }
    } catch { /* service worker restarting or extension reloaded: retried below */ }
    inflight.delete(r.gen);
    if (taken) {
      refusals.delete(r.gen);
      return;
    }
    // Not taken (storage.session full while big exchanges wait, a worker restarting): tried again on a
    // timer, since a finished page may never change again to cause a scan.
    if (!chrome.runtime.id) return; // the extension was reloaded or removed: this script is orphaned
    const n = (refusals.get(r.gen) || 0) + 1;
    refusals.set(r.gen, n);
    stats.refused += 1;
    schedule(Math.min(RETRY_MAX_MS, RETRY_MS * 2 ** (n - 1)));
  }

  /** A sent turn that had nothing before it now has `prev` before it: tell the service worker once. */
  async function relink(gen, prev, conversationId) {
    if (!prev || prevOf.get(gen) !== null || linking.has(gen)) return;
    linking.add(gen);
    try {
      const reply = await send("link", { platform: adapter.id, conversation_id: conversationId, gen, prev_gen: prev });
      if (reply && reply.ok) prevOf.set(gen, reply.value.prev_gen || prev); // unknown there: not asked again
    } catch { /* retried on a later scan */ }
    linking.delete(gen);
  }

  function scan() {
    const t0 = performance.now();
    try {
      scanOnce(t0);
    } finally {
      touched.clear();
      touchedAll = false;
      const ms = performance.now() - t0;
      stats.scans += 1; stats.totalMs += ms; stats.lastMs = ms; stats.maxMs = Math.max(stats.maxMs, ms);
      if (stats.scanTimes.length < 1000) stats.scanTimes.push(ms);
    }
  }

  function scanOnce(now) {
    if (location.href !== href) navigated();
    let turns = [];
    try { turns = adapter.readTurns(document); } catch { turns = []; }
    if (recognised !== true) {
      const isConv = adapter.isConversationUrl(location);
      if (turns.length || (!isConv && adapter.recognise(document))) setRecognised(true);
      else if (now - since >= RECOGNISE_MS) setRecognised(false);
      if (recognised !== true) return; // unrecognised: leave the page alone
    }
    if (!conv) return; // a new chat gets its id during the first reply: wait for it
    const docStreaming = adapter.streaming(document);
    let next = Infinity; // when to look again without a mutation
    const last = turns[turns.length - 1];
    let before = null; // the generation rendered before the current turn
    for (const turn of turns) {
      const r = readCached(turn);
      // an adapter may know a predecessor it returns no turn for (ChatGPT: a reply whose prompt is unmounted)
      const prev = turn.prevGen !== undefined ? turn.prevGen : before;
      const isStale = stale.has(r.gen) && stale.get(r.gen) !== conv;
      before = r.gen && !isStale ? r.gen : null; // another conversation's turn is no predecessor
      if (!r.gen) continue;
      if (sent.has(r.gen)) {
        drawBadge(r.gen, r.anchor);
        if (!isStale) relink(r.gen, prev, conv);
        continue;
      }
      if (isStale) continue;
      if (inflight.has(r.gen)) continue;
      if (!r.reply) { next = Math.min(next, 400); continue; }
      const sig = signature(r);
      const slot = slots.get(turn.slot);
      const finished = turn.finished && !turn.streaming && !(turn === last && docStreaming);
      if (!slot || slot.sig !== sig) { // new or changed text: the stability clock restarts
        slots.set(turn.slot, { sig, since: now, finishedSeen: finished ? 1 : 0 });
        next = Math.min(next, STABLE_MS);
        continue;
      }
      if (!finished) { slot.finishedSeen = 0; next = Math.min(next, 400); continue; }
      slot.finishedSeen += 1;
      const still = now - slot.since;
      if (slot.finishedSeen < 2 || still < STABLE_MS) {
        next = Math.min(next, Math.max(RECHECK_MS, STABLE_MS - still));
        continue;
      }
      submit(turn, r, prev, conv);
    }
    if (next !== Infinity) schedule(next);
  }

  function ours(node) {
    return PW.badge.isBadge(node) || (node.parentElement && PW.badge.isBadge(node.parentElement.closest(PW.badge.TAG)));
  }

  const mo = new MutationObserver((records) => {
    const t0 = performance.now();
    let relevant = false;
    for (const rec of records) {
      if (ours(rec.target)) continue;
      const added = [...rec.addedNodes, ...rec.removedNodes];
      if (added.length && added.every((n) => PW.badge.isBadge(n))) continue;
      relevant = true;
      if (records.length > 200) { touchedAll = true; break; }
      touched.add(rec.target);
    }
    if (relevant) schedule();
    stats.batches += 1;
    stats.batchMs += performance.now() - t0;
  });
  mo.observe(document.documentElement, {
    subtree: true, childList: true, characterData: true, attributes: true,
    attributeFilter: ["class", "aria-busy", "aria-label", "aria-checked", "aria-pressed", "data-testid",
                      "data-streaming-response-status", "data-is-streaming", "data-message-id"],
  });

  // Badges: whether they are shown, and the figures of the turns this page sent, come from the
  // service worker, which tells the page to ask again when they may have changed (badges switched
  // on or off, every record recomputed for new settings). One question at a time, and one more if
  // told meanwhile, so the last answer is never older than the last news. Badges are updated in
  // place (badge.js): the page's nodes are not touched.
  let asking = null;
  let askAgain = false;

  function refreshBadges() {
    askAgain = true;
    asking ??= (async () => {
      while (askAgain) {
        askAgain = false;
        await askBadges();
      }
    })().finally(() => { asking = null; });
  }

  async function askBadges() {
    const gensOf = new Map(conv ? [[conv, []]] : []); // the current conversation first
    for (const [gen, c] of convOf) {
      if (!gensOf.has(c)) gensOf.set(c, []);
      gensOf.get(c).push(gen);
    }
    const conversations = [...gensOf].map(([id, gens]) => ({ conversation_id: id, gens }));
    let reply;
    try {
      reply = await send("badges", { platform: adapter.id, conversations });
    } catch { return; } // service worker restarting or extension reloaded: the next news asks again
    if (!reply || !reply.ok || !reply.value) return;
    for (const s of reply.value.records || []) summaries.set(s.gen, s);
    const was = badges;
    badges = reply.value.show !== false;
    if (!badges) PW.badge.removeAll();
    else {
      if (!was) touchedAll = true;
      schedule(0);
    }
  }

  chrome.runtime.onMessage.addListener((msg) => {
    if (!msg || msg.target !== "content") return false;
    if (msg.type === "refresh") {
      refreshBadges();
      return false;
    }
    if (msg.type !== "recorded") return false;
    summaries.set(msg.data.gen, msg.data);
    sent.add(msg.data.gen);
    if (typeof msg.data.conversation_id === "string") convOf.set(msg.data.gen, msg.data.conversation_id);
    if (!prevOf.get(msg.data.gen)) prevOf.set(msg.data.gen, msg.data.prev_gen ?? null);
    schedule(0);
    return false;
  });

  setInterval(() => { if (location.href !== href) schedule(0); }, URL_POLL_MS);
  addEventListener("popstate", () => schedule(0));
  PW.observer = { stats, scan };
  armDeadline();
  refreshBadges();
  scan();
})();
