// The pending queue: finished exchanges wait in chrome.storage.session (their text never goes to
// storage.local) until their estimate is stored, and are estimated one at a time through python().
// A worker stopped by MV3 loses nothing: the items stay in storage.session and the next start resumes.
// A predecessor is estimated before its successors (chain.js nextPending), so each finds the other stored.
import { canonicalGen, chainContext, nextPending, recordOf, regenerationOf } from "./chain.js";
import { getSettings, impactKey, impactSettings, loadConversation, writeDocs } from "./store.js";
import { afterChainChange, estimateFields, regenerationEvidence } from "./reestimate.js";
import { notifyTab } from "./badges.js";

export const PENDING_PREFIX = "pending:";
const MAX_ATTEMPTS = 3;

/** Every pending item: {id, seq, received, attempts, tabId, exchange}. */
export async function pendingItems() {
  const all = await chrome.storage.session.get(null);
  return Object.entries(all).filter(([k]) => k.startsWith(PENDING_PREFIX)).map(([, v]) => v);
}

export async function pendingItem(key) {
  return (await chrome.storage.session.get(key))[key] ?? null;
}

function makeRecord(item, ex, v, warnings, request, settings, prevGen, regenerated) {
  return {
    id: item.id, gen: ex.gen, prev_gen: prevGen, regenerated, time: ex.observed_at || item.received,
    model_label: ex.model_label || "", reasoning_seconds: ex.reasoning_seconds ?? null,
    ...estimateFields(v, warnings, request, settings),
  };
}

/**
 * python: the offscreen document's (offscreen.js); locked: the service worker's storage lock; debugOptions:
 * async () => the debug test hooks; reportProblem(code, message); recompute, reestimate: their runners.
 */
export function exchangeQueue({ python, locked, debugOptions, reportProblem, recompute, reestimate }) {
  let seq = 0;
  let draining = null;
  let dirty = false;
  // Test hook: debug.holdStore keeps an estimated exchange from being stored (tests change the settings
  // in between); the status message says when one waits.
  let storeHeld = false;

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

  /** Stores a new exchange (cleaned, messages.js) as pending, then starts the queue. */
  async function add(id, ex, tabId) {
    const item = { id, seq: Date.now() + (seq++ % 1000) / 1000, received: Date.now(), attempts: 0,
                   tabId, exchange: ex };
    await chrome.storage.session.set({ [PENDING_PREFIX + id]: item });
    kick();
  }

  async function storeHold() {
    while ((await debugOptions()).holdStore) {
      storeHeld = true;
      await new Promise((resolve) => { setTimeout(resolve, 50); });
    }
    storeHeld = false;
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
    const known = recordOf(doc, ex.gen); // also an imported reply this turn shows (importer.js)
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
      if (imported) return { ...imported, gen: ex.gen }; // imported meanwhile (importer.js): counted once
      // A predecessor may have been linked while the estimate ran (the "link" message): keep it for later turns.
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
      await writeDocs([fresh]); // the record and the aggregates, in one write
      return r;
    });
    if (marked) reestimate.kick(); // once they are stored marked
    await chrome.storage.session.remove(pendingKey); // the text goes with it
    await notifyTab(item.tabId, record, ex.conversation_id);
    return true;
  }

  return { kick, add, running: () => draining !== null, storeHeld: () => storeHeld };
}
