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
//
// This file wires the parts together and registers the listeners, all at the top level: message
// validation (lib/messages.js), the offscreen document and python() (lib/offscreen.js), the pending
// queue (lib/queue.js), badges on open pages (lib/badges.js), recompute and re-estimate (lib/recompute.js,
// lib/reestimate.js), stored records (lib/store.js, lib/importer.js).
import { canonicalGen, exchangeId, genAliases, recordOf } from "./lib/chain.js";
import {
  CONV_PREFIX, DEFAULT_SETTINGS, PLATFORMS, convKey, getSettings, impactKey, isAggregateKey, loadConversation,
  loadConversations, migrateStored, noteDocs, rebuildIndex, writeDocs,
} from "./lib/store.js";
import { APPLIED_KEY, recomputer, staleRecords } from "./lib/recompute.js";
import { afterChainChange, reestimator } from "./lib/reestimate.js";
import { cleanImportBatch, mergeImported } from "./lib/importer.js";
import {
  cleanBadgeQuery, cleanExchange, cleanIds, cleanPrevGen, cleanPyRequest, senderRefusal, str,
} from "./lib/messages.js";
import { offscreenDocument } from "./lib/offscreen.js";
import { PENDING_PREFIX, exchangeQueue, pendingItem, pendingItems } from "./lib/queue.js";
import { refreshBadges, showsBadges, summary } from "./lib/badges.js";

const OFFSCREEN_URL = "offscreen.html";
const MAX_PROBLEMS = 20;

// A content script, which lives in a site's page, may not send the messages that clear the records or
// reach Python (lib/messages.js). For the same reason it may not read chrome.storage.local, which Chrome
// lets it by default: every stored record and, through storage.onChanged, each conversation as it is
// written. It asks this worker by message for what it shows (the "badges" handler). Set at every start
// of this worker, a browser start included.
chrome.storage.local.setAccessLevel({ accessLevel: "TRUSTED_CONTEXTS" }).catch(() => {});

async function debugOptions() {
  const { debug } = await chrome.storage.local.get("debug");
  return debug || {};
}

async function reportProblem(code, message) {
  const { problems = [] } = await chrome.storage.local.get("problems");
  problems.push({ time: Date.now(), code, message: String(message).slice(0, 300) });
  await chrome.storage.local.set({ problems: problems.slice(-MAX_PROBLEMS) });
}

// Records, the index and clearing are written one after the other, never interleaved.
let storeLock = Promise.resolve();
function locked(fn) {
  const run = storeLock.then(fn, fn);
  storeLock = run.catch(() => {});
  return run;
}

// The offscreen document stays open while anything may call Python (lib/offscreen.js).
const { python, closeIfIdle, hasOffscreen } = offscreenDocument({
  url: OFFSCREEN_URL, debugOptions, pendingItems,
  othersBusy: () => queue.running() || recompute.running() || reestimate.running(),
});
// Wall energy and CO2 of the stored records follow the settings (lib/recompute.js).
const recompute = recomputer({ python, locked, debugOptions, reportProblem, onApplied: refreshBadges });
// Records whose context became known later (older turns rendered above them) are estimated again (lib/reestimate.js).
const reestimate = reestimator({
  python, locked, debugOptions, reportProblem, recomputeKick: () => recompute.kick(), onDone: refreshBadges,
});
const queue = exchangeQueue({ python, locked, debugOptions, reportProblem, recompute, reestimate });
const kick = queue.kick;

/**
 * Rebuilds the index from the validated records (browser start, install/update, popup request).
 * Records computed under other settings than the current ones (older records without a settings
 * key, records written behind the worker's back) found on the way are recomputed.
 */
async function reindex() {
  const stale = await locked(async () => {
    const settingsKey = impactKey(await getSettings());
    let found = false;
    const { items } = await rebuildIndex((checked) => {
      found = staleRecords(checked.docs, settingsKey).length > 0;
      return found ? { [APPLIED_KEY]: null } : {};
    });
    return { skipped: items.index.skipped, found };
  });
  if (stale.found) recompute.kick();
  return stale.skipped;
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
      await writeDocs([doc]);
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

const OPTION_KEYS = ["settings", "debug"];

/**
 * Writes new settings or test hooks ({settings?, debug?}; null removes one) and starts what they change:
 * new settings a recompute (and, if badges were switched on or off, the open pages are told), released test
 * hooks the queue, the re-estimate and the recompute. Pages send them here rather than write them: watching
 * storage for them instead (storage.onChanged) would have Chrome clone every write into this worker, old
 * and new values, and a recompute writes all the records (a quarter of its time at 10,000 records).
 */
async function setOptions(data) {
  const keys = data && typeof data === "object" && !Array.isArray(data) ? Object.keys(data) : [];
  if (!keys.length || keys.some((k) => !OPTION_KEYS.includes(k))) {
    throw new Error(`options: an object of ${OPTION_KEYS.join(" and/or ")} (null removes one)`);
  }
  const before = await chrome.storage.local.get(keys);
  const removed = keys.filter((k) => data[k] === null);
  const set = Object.fromEntries(keys.filter((k) => data[k] !== null).map((k) => [k, data[k]]));
  if (removed.length) await chrome.storage.local.remove(removed);
  if (Object.keys(set).length) await chrome.storage.local.set(set);
  if (keys.includes("debug")) { kick(); reestimate.kick(); }
  recompute.kick();
  if (keys.includes("settings") && showsBadges(before.settings) !== showsBadges(set.settings)) refreshBadges();
  return { written: keys };
}

const HANDLERS = {
  /** New settings (the popup's form) or test hooks: see setOptions. */
  async options(data) {
    return setOptions(data);
  },

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
    await queue.add(id, ex, sender.tab ? sender.tab.id : null);
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
    return python(cleanPyRequest(data));
  },

  /** Deletes every record (and pending exchange): the popup asks after a confirmation. */
  clear() {
    return locked(async () => {
      const all = await chrome.storage.local.get(null);
      const keys = Object.keys(all).filter((k) => k.startsWith(CONV_PREFIX) || isAggregateKey(k)
        || ["problems", "sites"].includes(k));
      try {
        await chrome.storage.local.remove(keys);
      } finally {
        noteDocs(keys); // a recompute under way finds these gone
      }
      const pending = Object.keys(await chrome.storage.session.get(null)).filter((k) => k.startsWith(PENDING_PREFIX));
      await chrome.storage.session.remove(pending);
      return { removed: keys.length };
    });
  },

  /**
   * A batch of history from the import page (import.js): pycore's import records of any service's export,
   * stored under the lock into the same conversations and aggregates, each generation once
   * (lib/importer.js). Returns {added, skipped, newer}: stored, already there, in conversations a
   * newer PromptWatt saved.
   */
  async importHistory(data) {
    const batch = cleanImportBatch(data); // a bad batch is refused whole, before anything is written
    const out = await locked(async () => {
      // storage key -> doc (changed or not), read at once
      const docs = await loadConversations(batch.conversations.map((c) => [c.platform, c.conversation_id]));
      const changed = new Set();
      let added = 0, skipped = 0, newer = 0, marked = 0;
      for (const c of batch.conversations) {
        const key = convKey(c.platform, c.conversation_id);
        const doc = docs.get(key);
        if (!doc) { newer += c.records.length; continue; } // never rewritten by an older version
        const m = mergeImported(doc, c.title, c.records);
        added += m.added.length;
        skipped += m.skipped;
        marked += m.marked;
        if (m.changed) changed.add(key);
      }
      // estimated under settings changed since the page read them: recomputed like any stale record
      const stale = added > 0 && impactKey(await getSettings()) !== impactKey(batch.settings);
      if (changed.size) await writeDocs([...changed].map((k) => docs.get(k)), stale ? { [APPLIED_KEY]: null } : {});
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
             reestimating: reestimate.running(), storeHeld: queue.storeHeld() };
  },
};

chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (!msg || msg.target !== "background" || !Object.hasOwn(HANDLERS, msg.type)) return false;
  const refused = senderRefusal(msg.type, sender, chrome.runtime.getURL(""));
  if (refused) {
    sendResponse({ ok: false, error: refused });
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

// A restarted worker resumes what a stopped one left pending, and a recompute or re-estimate it left half done.
kick();
recompute.kick();
reestimate.kick();

// exported for tests driving the worker through CDP/Playwright evaluate()
globalThis.promptwatt = { kick, pendingItems, python, convKey, reindex, closeIfIdle, hasOffscreen };
