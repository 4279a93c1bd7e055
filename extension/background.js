// Service worker: receives finished exchanges from the content scripts, persists them in
// chrome.storage.session until their estimate is stored, and runs the estimates one at a time
// through the offscreen document's Pyodide worker (a service worker cannot start a Worker).
//
// MV3 may stop this worker at any moment. Everything it needs survives that: listeners are
// registered at the top level (so an event restarts the worker and reaches them), pending
// exchanges live in storage.session, and the queue resumes when the worker starts.
//
// A turn's context and the "regenerated" flag come from the chain of generations (lib/chain.js):
// each exchange names the generation rendered before it (prev_gen), and the queue estimates a
// predecessor before its successors so that each finds the other stored. Turns recorded before the
// turns above them were known are estimated again once they are (lib/reestimate.js).
import {
  canonicalGen, chainContext, exchangeId, genAliases, nextPending, recordOf, regenerationOf,
} from "./lib/chain.js";
import {
  CONV_PREFIX, DEFAULT_SETTINGS, INDEX_KEY, MAX_GEN, PLATFORMS, buildIndex, convKey, getSettings,
  impactKey, impactSettings, indexAdd, loadAll, loadConversation, loadIndex, migrateStored, saveConversation,
} from "./lib/store.js";
import { APPLIED_KEY, recomputer, staleRecords } from "./lib/recompute.js";
import { afterChainChange, estimateFields, reestimator, regenerationEvidence } from "./lib/reestimate.js";
import { cleanImportBatch, mergeImported } from "./lib/importer.js";
import { idleMsFrom } from "./lib/idle.js";

const OFFSCREEN_URL = "offscreen.html";
const PENDING_PREFIX = "pending:";
const MAX_ATTEMPTS = 3;
const MAX_PROBLEMS = 20;
const MAX_BADGE_GENS = 5000; // turns one page may ask the figures of at once
const PY_OPS_FROM_POPUP = new Set(["equivalents", "info", "count"]);
const FROM_TABS = new Set(["exchange", "link", "badges"]); // what only content scripts send
// What only the extension's own pages (popup, offscreen document, import page) send: a content script, which
// lives in a site's page, may never clear the records or reach Python directly.
const FROM_EXTENSION_PAGES = new Set(["py", "clear", "reindex", "offscreenIdle", "recompute", "importChatgpt"]);

// For the same reason a content script may not read chrome.storage.local, which Chrome lets it by
// default: every stored record and, through storage.onChanged, each conversation as it is written.
// It asks this worker by message for what it shows (the "badges" handler). Set at every start of this
// worker, a browser start included.
chrome.storage.local.setAccessLevel({ accessLevel: "TRUSTED_CONTEXTS" }).catch(() => {});

// -- offscreen document + Pyodide ----------------------------------------------------------------
//
// The document is closed when idle so that Pyodide does not hold ~100 MB for the whole browser
// session. The document keeps the idle timer (this worker's timers die when MV3 stops it) and,
// when idle, asks here; this worker, which every Python request passes through, decides.

let creatingOffscreen = null;
let closingOffscreen = null;
let inFlight = 0; // python() calls between their start and their reply

async function hasOffscreen() {
  const contexts = await chrome.runtime.getContexts({ contextTypes: ["OFFSCREEN_DOCUMENT"] });
  return contexts.length > 0;
}

/** Only one offscreen document may exist: concurrent callers share one creation; a close finishes first. */
async function ensureOffscreen() {
  while (closingOffscreen) await closingOffscreen;
  if (await hasOffscreen()) return;
  creatingOffscreen ??= chrome.offscreen.createDocument({
    url: OFFSCREEN_URL, reasons: ["WORKERS"], justification: "Runs the Pyodide worker that estimates energy locally",
  }).catch((err) => {
    if (!String(err).includes("single offscreen")) throw err;
  }).finally(() => { creatingOffscreen = null; });
  await creatingOffscreen;
}

async function debugOptions() {
  const { debug } = await chrome.storage.local.get("debug");
  return debug || {};
}

/** Sends one request to pycore.browser.handle and returns its parsed result {ok, value, warnings, errors}. */
async function python(request) {
  inFlight++; // before any await: from here on no close may start (closeIfIdle checks it last)
  try {
    const idleMs = idleMsFrom(await debugOptions());
    await ensureOffscreen();
    const reply = await chrome.runtime.sendMessage({
      target: "offscreen", type: "py", data: JSON.stringify(request), idleMs,
    });
    if (!reply || !reply.ok) throw new Error(`pyodide worker: ${reply ? reply.error : "no reply"}`);
    return JSON.parse(reply.result);
  } finally {
    inFlight--;
  }
}

function busy() {
  return inFlight > 0 || creatingOffscreen !== null || closingOffscreen !== null || draining !== null
    || recompute.running() || reestimate.running();
}

/**
 * Closes the offscreen document if nothing needs it: no request in flight, no creation or close
 * under way, no queue running and no exchange pending (a held or failed one keeps Pyodide ready).
 * Returns whether it closed it.
 */
async function closeIfIdle() {
  if (busy() || (await pendingItems()).length || !(await hasOffscreen())) return false;
  if (busy()) return false; // a request may have started during the awaits above
  closingOffscreen = chrome.offscreen.closeDocument().then(() => true, () => false) // already gone: nothing to do
    .finally(() => { closingOffscreen = null; });
  return closingOffscreen;
}

// -- storage writes ------------------------------------------------------------------------------

// Records, the index and clearing are written one after the other, never interleaved.
let storeLock = Promise.resolve();
function locked(fn) {
  const run = storeLock.then(fn, fn);
  storeLock = run.catch(() => {});
  return run;
}

/**
 * Rebuilds the index from the validated records (browser start, install/update, popup request).
 * Records computed under other settings than the current ones (older records without a settings
 * key, records written behind the worker's back) found on the way are recomputed.
 */
async function reindex() {
  const stale = await locked(async () => {
    const checked = await loadAll();
    const index = buildIndex(checked);
    const found = staleRecords(checked.docs, impactKey(await getSettings())).length > 0;
    await chrome.storage.local.set({ [INDEX_KEY]: index, ...(found ? { [APPLIED_KEY]: null } : {}) });
    return { skipped: index.skipped, found };
  });
  if (stale.found) recompute.kick();
  return stale.skipped;
}

// Wall energy and CO2 of the stored records follow the settings (lib/recompute.js).
const recompute = recomputer({ python, locked, debugOptions, reportProblem, onApplied: refreshBadges });
// Records whose context became known later (older turns rendered above them) are estimated again (lib/reestimate.js).
const reestimate = reestimator({
  python, locked, debugOptions, reportProblem, recomputeKick: () => recompute.kick(), onDone: refreshBadges,
});

// -- pending queue ---------------------------------------------------------------------------------

let seq = 0;
let draining = null;
let dirty = false;

async function pendingItems() {
  const all = await chrome.storage.session.get(null);
  return Object.entries(all).filter(([k]) => k.startsWith(PENDING_PREFIX)).map(([, v]) => v);
}

async function held() {
  return Boolean((await debugOptions()).holdQueue); // test hook: keep exchanges pending (see tests/browser)
}

function kick() {
  dirty = true;
  draining ??= drain().finally(() => { draining = null; });
  return draining;
}

async function drain() {
  while (dirty) {
    dirty = false;
    for (;;) {
      if (await held()) return;
      const items = await pendingItems();
      if (!items.length) break;
      // Predecessors first (by chain, then lower turns), so each exchange finds the turns before it.
      const done = await processOne(nextPending(items));
      if (!done) return; // transient failure: retried on the next event or start
    }
  }
}

async function reportProblem(code, message) {
  const { problems = [] } = await chrome.storage.local.get("problems");
  problems.push({ time: Date.now(), code, message: String(message).slice(0, 300) });
  await chrome.storage.local.set({ problems: problems.slice(-MAX_PROBLEMS) });
}

function summary(r) {
  return { gen: r.gen, prev_gen: r.prev_gen ?? null, wall_wh: r.wall_wh, wall_wh_low: r.wall_wh_low,
           wall_wh_high: r.wall_wh_high, co2_g: r.co2_g, energy_wh: r.energy_wh, regenerated: r.regenerated };
}

async function notifyTab(tabId, record, conversationId) {
  if (typeof tabId !== "number") return;
  try {
    const data = { ...summary(record), conversation_id: conversationId };
    await chrome.tabs.sendMessage(tabId, { target: "content", type: "recorded", data });
  } catch { /* the tab is gone or navigated: nothing to draw */ }
}

// -- badges on open pages --------------------------------------------------------------------------
//
// A badge shows its record's figures as the content script last got them. When they may have
// changed for every record (a recompute finished, see lib/recompute.js) or badges are switched on
// or off, each open page of the supported sites is told to ask again ("badges" below) for the turns
// it shows, and nothing else. No "tabs" permission: tabs.query filters by URL for the hosts we hold,
// and messaging a tab needs none. A page also asks once when it starts.

/** Where the content scripts run (the manifest's match patterns). */
function contentScriptMatches() {
  return [...new Set((chrome.runtime.getManifest().content_scripts || []).flatMap((c) => c.matches || []))];
}

async function refreshBadges() {
  let tabs = [];
  try {
    tabs = await chrome.tabs.query({ url: contentScriptMatches() });
  } catch { return; } // no window (the browser is closing): no page to update
  await Promise.all(tabs.map((tab) => chrome.tabs.sendMessage(tab.id, { target: "content", type: "refresh" })
    .catch(() => {}))); // a page without our content script (opened before an install) or gone
}

function showsBadges(settings) {
  return !settings || settings.badges !== false;
}

/** {platform, conversations: [{conversation_id, gens}]} from a content script, typed and bounded. */
function cleanBadgeQuery(d) {
  if (!d || !PLATFORMS.includes(d.platform)) throw new Error("unknown platform");
  if (!Array.isArray(d.conversations)) throw new Error("badges: conversations must be a list");
  let left = MAX_BADGE_GENS;
  const conversations = [];
  for (const c of d.conversations) {
    const conv = str(c && c.conversation_id, 200);
    if (!conv || !Array.isArray(c.gens)) throw new Error("badges: each conversation needs an id and a list of gens");
    const gens = c.gens.filter((g) => typeof g === "string" && g).slice(0, left).map((g) => g.slice(0, MAX_GEN));
    left -= gens.length;
    conversations.push({ conversation_id: conv, gens });
    if (left <= 0) break; // the page lists its current conversation first
  }
  return { platform: d.platform, conversations };
}

/** Estimates and stores one pending exchange. Returns false on a transient failure. */
async function processOne(item) {
  const ex = item.exchange;
  const pendingKey = PENDING_PREFIX + item.id;
  const doc = await loadConversation(ex.platform, ex.conversation_id);
  if (!doc) {
    await chrome.storage.session.remove(pendingKey);
    await reportProblem("newer_data", `${ex.platform}: this conversation was saved by a newer PromptWatt`);
    return true;
  }
  const known = recordOf(doc, ex.gen); // also an imported reply this turn shows (lib/importer.js)
  if (known) {
    await chrome.storage.session.remove(pendingKey);
    await notifyTab(item.tabId, { ...known, gen: ex.gen }, ex.conversation_id);
    return true;
  }
  const settings = await getSettings();
  const chain = chainContext(doc, canonicalGen(doc, ex.prev_gen), ex.turn_index);
  const request = {
    op: "exchange", platform: ex.platform, model_label: ex.model_label, prompt: ex.prompt, reply: ex.reply,
    reasoning: ex.reasoning, reasoning_seconds: ex.reasoning_seconds, turn_index: chain.turn_index,
    context_tokens: chain.context_tokens, ...impactSettings(settings),
  };
  let out;
  try {
    out = await python(request);
  } catch (err) {
    const live = await pendingItem(pendingKey) ?? item; // keeps a predecessor linked meanwhile
    live.attempts = (live.attempts || 0) + 1;
    if (live.attempts >= MAX_ATTEMPTS) {
      await chrome.storage.session.remove(pendingKey);
      await reportProblem("worker_failed", err);
    } else {
      await chrome.storage.session.set({ [pendingKey]: live });
    }
    return false;
  }
  if (!out.ok) { // bad input is not retried
    await chrome.storage.session.remove(pendingKey);
    const e = out.errors[0] || {};
    await reportProblem(e.code || "error", `${ex.platform}: ${e.message || "estimate failed"}`);
    return true;
  }
  const v = out.value;
  await storeHold();
  let marked = 0;
  const record = await locked(async () => {
    // read again: the popup may have cleared the data meanwhile
    const fresh = await loadConversation(ex.platform, ex.conversation_id) ?? doc;
    const imported = recordOf(fresh, ex.gen);
    if (imported) return { ...imported, gen: ex.gen }; // imported meanwhile (lib/importer.js): counted once
    const index = await loadIndex();
    // A predecessor may have been linked while the estimate ran (see link()): keep it for later turns.
    const live = await pendingItem(pendingKey);
    const prevGen = canonicalGen(fresh, ex.prev_gen ?? (live && live.exchange.prev_gen) ?? null);
    const twins = regenerationOf(fresh, prevGen, request.turn_index);
    const r = makeRecord(item, ex, v, out.warnings, request, settings, prevGen, twins.length > 0);
    const evidence = regenerationEvidence(prevGen, twins);
    if (evidence) r.regenerated_of = evidence;
    // The settings changed while this was estimated: bring it to the new ones before it is stored
    // (a recompute that ran meanwhile did not see it). Inside the lock, so none can finish in between.
    const now = await getSettings();
    if (impactKey(now) !== r.impact_key && !(await recompute.refresh(r, ex.platform, now))) recompute.kick();
    fresh.exchanges.push(r);
    // turns recorded before this one that it now precedes on their chain (or this one, if linked meanwhile)
    marked = afterChainChange(fresh, [r.gen]).marked;
    if (ex.title) fresh.title = ex.title;
    fresh.created ||= r.time;
    fresh.updated = Math.max(fresh.updated, r.time);
    await saveConversation(fresh, indexAdd(index, fresh, r));
    return r;
  });
  if (marked) reestimate.kick(); // once they are stored marked
  await chrome.storage.session.remove(pendingKey); // the text goes with it
  await notifyTab(item.tabId, record, ex.conversation_id);
  return true;
}

// Test hook: debug.holdStore keeps an estimated exchange from being stored (tests change the settings
// in between); status() says when one waits.
let storeHeld = false;
async function storeHold() {
  while ((await debugOptions()).holdStore) {
    storeHeld = true;
    await new Promise((resolve) => { setTimeout(resolve, 50); });
  }
  storeHeld = false;
}

async function pendingItem(key) {
  return (await chrome.storage.session.get(key))[key] ?? null;
}

function makeRecord(item, ex, v, warnings, request, settings, prevGen, regenerated) {
  return {
    id: item.id, gen: ex.gen, prev_gen: prevGen, regenerated, time: ex.observed_at || item.received,
    model_label: ex.model_label || "", reasoning_seconds: ex.reasoning_seconds ?? null,
    ...estimateFields(v, warnings, request, settings),
  };
}

// -- messages ------------------------------------------------------------------------------------

function str(x, max) {
  return typeof x === "string" ? x.slice(0, max) : "";
}

/** platform, conversation_id and gen of a message, typed and bounded. */
function cleanIds(d) {
  if (!d || !PLATFORMS.includes(d.platform)) throw new Error("unknown platform");
  const conv = str(d.conversation_id, 200);
  const gen = str(d.gen, MAX_GEN);
  if (!conv || !gen) throw new Error("missing conversation or generation id");
  return { platform: d.platform, conversation_id: conv, gen };
}

/**
 * The generation rendered before this one: a string cut like gen (so that the two still match) or
 * null (nothing before it; a missing field means the same). A turn cannot follow itself: null.
 */
function cleanPrevGen(d, gen) {
  if (d.prev_gen === undefined || d.prev_gen === null) return null;
  if (typeof d.prev_gen !== "string") throw new Error("bad prev_gen: a generation id or null");
  const prev = d.prev_gen.slice(0, MAX_GEN);
  return prev && prev !== gen ? prev : null;
}

/** Only what the content script should send, typed and bounded. */
function cleanExchange(d) {
  const { conversation_id: conv, gen } = cleanIds(d);
  const prevGen = cleanPrevGen(d, gen);
  if (!Number.isInteger(d.turn_index) || d.turn_index < 0) throw new Error("bad turn_index");
  const secs = typeof d.reasoning_seconds === "number" && Number.isFinite(d.reasoning_seconds) && d.reasoning_seconds >= 0
    ? d.reasoning_seconds : null;
  return {
    platform: d.platform, conversation_id: conv, gen, prev_gen: prevGen, turn_index: d.turn_index,
    title: str(d.title, 300),
    model_label: str(d.model_label, 200) || null, prompt: str(d.prompt, 20e6), reply: str(d.reply, 20e6),
    reasoning: str(d.reasoning, 20e6), reasoning_seconds: secs,
    observed_at: typeof d.observed_at === "number" ? d.observed_at : Date.now(),
  };
}

/**
 * Fills in the predecessor of a recorded (or still pending) generation whose prev_gen is null or
 * unknown, because a turn is now rendered before it: older turns lazy-loaded above the first one
 * rendered, or a page reloaded with more history on screen. A known prev_gen is never replaced (it
 * is the branch the turn was generated on). Returns the prev_gen now stored, or undefined.
 */
function link(platform, conversationId, gen, prevGen) {
  return locked(async () => {
    const id = exchangeId(platform, conversationId, gen);
    const doc = await loadConversation(platform, conversationId);
    const r = doc && recordOf(doc, gen);
    if (r) {
      if (typeof r.prev_gen === "string") return r.prev_gen;
      const prev = canonicalGen(doc, prevGen);
      if (prev === r.gen) return undefined;
      r.prev_gen = prev;
      const changed = afterChainChange(doc, [r.gen]); // it and the turns below it may now reach further back
      await chrome.storage.local.set({ [convKey(platform, conversationId)]: doc });
      if (changed.marked) reestimate.kick();
      return prev;
    }
    const key = PENDING_PREFIX + id;
    const item = await pendingItem(key);
    if (!item) return undefined;
    if (typeof item.exchange.prev_gen === "string") return item.exchange.prev_gen;
    item.exchange.prev_gen = prevGen;
    await chrome.storage.session.set({ [key]: item });
    return prevGen;
  });
}

const HANDLERS = {
  /** A finished exchange from a content script: acknowledged once it is safe in storage.session. */
  async exchange(data, sender) {
    const ex = cleanExchange(data);
    const id = exchangeId(ex.platform, ex.conversation_id, ex.gen);
    const doc = await loadConversation(ex.platform, ex.conversation_id);
    const known = doc && recordOf(doc, ex.gen); // by its gen, or one of an imported reply's message ids
    const key = PENDING_PREFIX + id;
    if (known || await pendingItem(key)) {
      // seen before (a reload, another tab): only a predecessor rendered since may be new
      const fill = ex.prev_gen !== null && !(known && typeof known.prev_gen === "string");
      const prev = fill ? await link(ex.platform, ex.conversation_id, ex.gen, ex.prev_gen) : undefined;
      if (!known) return { status: "pending" };
      const record = { ...summary(known), gen: ex.gen, prev_gen: prev ?? known.prev_gen ?? null };
      return { status: "recorded", record };
    }
    const item = { id, seq: Date.now() + (seq++ % 1000) / 1000, received: Date.now(), attempts: 0,
                   tabId: sender.tab ? sender.tab.id : null, exchange: ex };
    await chrome.storage.session.set({ [key]: item });
    kick();
    return { status: "queued" };
  },

  /** A generation's predecessor, newly rendered before it (see link()): {prev_gen} as now stored. */
  async link(data) {
    const { platform, conversation_id: conv, gen } = cleanIds(data);
    const prev = cleanPrevGen(data, gen);
    if (prev === null) throw new Error("link: prev_gen must name another generation");
    return { prev_gen: (await link(platform, conv, gen, prev)) ?? null };
  },

  /**
   * Whether badges are shown, and the stored figures of the generations a page shows (its own
   * conversations' turns, asked by id: never a whole conversation, never another one's).
   */
  async badges(data) {
    const { platform, conversations } = cleanBadgeQuery(data);
    const records = [];
    for (const { conversation_id: conv, gens } of conversations) {
      if (!gens.length) continue;
      const doc = await loadConversation(platform, conv);
      if (!doc) continue;
      const known = genAliases(doc); // an imported reply is asked for by the message id the page shows
      for (const g of gens) if (known.has(g)) records.push({ ...summary(known.get(g)), gen: g });
    }
    return { show: showsBadges(await getSettings()), records };
  },

  /** Whether a content script recognised its page; recognised chat pages also warm Pyodide up. */
  async siteStatus(data) {
    if (!PLATFORMS.includes(data && data.platform)) throw new Error("unknown platform");
    const { sites = {} } = await chrome.storage.local.get("sites");
    const prev = sites[data.platform];
    const next = { recognised: Boolean(data.recognised), host: str(data.host, 100), time: Date.now() };
    if (!prev || prev.recognised !== next.recognised || prev.host !== next.host) {
      sites[data.platform] = next;
      await chrome.storage.local.set({ sites });
    }
    if (next.recognised) {
      python({ op: "count", platform: data.platform, text: "warm up" }).catch(() => {});
    }
    return { ok: true };
  },

  /** Python ops the popup may call (equivalents, info, count). */
  async py(data) {
    if (!data || !PY_OPS_FROM_POPUP.has(data.op)) throw new Error("op not allowed");
    return python(data);
  },

  /** Deletes every record (and pending exchange): the popup asks after a confirmation. */
  clear() {
    return locked(async () => {
      const all = await chrome.storage.local.get(null);
      const keys = Object.keys(all).filter((k) => k.startsWith(CONV_PREFIX) || ["problems", "sites", INDEX_KEY].includes(k));
      await chrome.storage.local.remove(keys);
      const pending = Object.keys(await chrome.storage.session.get(null)).filter((k) => k.startsWith(PENDING_PREFIX));
      await chrome.storage.session.remove(pending);
      return { removed: keys.length };
    });
  },

  /**
   * A batch of ChatGPT history from the import page (import.js): pycore's import records, stored
   * under the lock into the same conversations and index, each generation once (lib/importer.js).
   * Returns {added, skipped, newer}: stored, already there, in conversations a newer PromptWatt saved.
   */
  async importChatgpt(data) {
    const batch = cleanImportBatch(data); // a bad batch is refused whole, before anything is written
    const out = await locked(async () => {
      const index = await loadIndex();
      const docs = new Map(); // storage key -> doc (changed or not)
      const changed = new Set();
      let added = 0, skipped = 0, newer = 0, marked = 0;
      for (const c of batch.conversations) {
        const key = convKey("chatgpt", c.conversation_id);
        if (!docs.has(key)) docs.set(key, await loadConversation("chatgpt", c.conversation_id));
        const doc = docs.get(key);
        if (!doc) { newer += c.records.length; continue; } // never rewritten by an older version
        const m = mergeImported(doc, c.title, c.records);
        for (const r of m.added) indexAdd(index, doc, r);
        added += m.added.length;
        skipped += m.skipped;
        marked += m.marked;
        if (m.changed) changed.add(key);
      }
      // estimated under settings changed since the page read them: recomputed like any stale record
      const stale = added > 0 && impactKey(await getSettings()) !== impactKey(batch.settings);
      if (changed.size) {
        await chrome.storage.local.set({ ...Object.fromEntries([...changed].map((k) => [k, docs.get(k)])),
                                         [INDEX_KEY]: index, ...(stale ? { [APPLIED_KEY]: null } : {}) });
      }
      return { added, skipped, newer, marked, stale };
    });
    if (out.marked) reestimate.kick();
    if (out.stale) recompute.kick();
    return { added: out.added, skipped: out.skipped, newer: out.newer };
  },

  /** Rebuilds the index from the records (the popup asks when it finds none or a damaged one). */
  reindex() {
    return reindex();
  },

  /** Recomputes the records if the settings changed since (the popup asks when it sees that). */
  async recompute() {
    recompute.kick();
    return { ok: true };
  },

  /** The offscreen document has been idle for its idle period (it keeps the timer: ours die with us). */
  async offscreenIdle() {
    return { closed: await closeIfIdle() };
  },

  async status() {
    return { pending: (await pendingItems()).length, offscreen: await hasOffscreen(), recomputing: recompute.running(),
             reestimating: reestimate.running(), storeHeld };
  },
};

chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (!msg || msg.target !== "background" || !Object.hasOwn(HANDLERS, msg.type)) return false;
  if (FROM_TABS.has(msg.type) && !sender.tab) {
    sendResponse({ ok: false, error: `${msg.type} messages come from tabs` });
    return false;
  }
  if (FROM_EXTENSION_PAGES.has(msg.type) && !(sender.url || "").startsWith(chrome.runtime.getURL(""))) {
    sendResponse({ ok: false, error: `${msg.type} messages come from the extension's own pages` });
    return false;
  }
  HANDLERS[msg.type](msg.data, sender).then(
    (value) => sendResponse({ ok: true, value }),
    (err) => sendResponse({ ok: false, error: String(err && err.message ? err.message : err) }),
  );
  return true;
});

chrome.runtime.onInstalled.addListener(async () => {
  const { settings } = await chrome.storage.local.get("settings");
  if (!settings) await chrome.storage.local.set({ settings: { ...DEFAULT_SETTINGS } });
  await migrateStored();
  await reindex();
  kick();
  recompute.kick();
});

// At browser start the records are validated again: damaged ones are counted for the popup.
chrome.runtime.onStartup.addListener(() => { reindex().finally(kick); });

// Releasing a test hook resumes the queue and the recompute; new settings start a recompute, and
// switching badges on or off reaches the open pages.
chrome.storage.onChanged.addListener((changes, area) => {
  if (area !== "local") return;
  if ("debug" in changes) { kick(); reestimate.kick(); }
  if ("debug" in changes || "settings" in changes) recompute.kick();
  if ("settings" in changes && showsBadges(changes.settings.oldValue) !== showsBadges(changes.settings.newValue)) {
    refreshBadges();
  }
});

// A restarted worker resumes what a stopped one left pending, and a recompute or re-estimate it left half done.
kick();
recompute.kick();
reestimate.kick();

// exported for tests driving the worker through CDP/Playwright evaluate()
globalThis.promptwatt = { kick, pendingItems, python, convKey, reindex, closeIfIdle, hasOffscreen };
