// Estimates stored exchanges again when their place in the conversation becomes known.
//
// A page opened mid-history (Gemini lazy-loads older turns when scrolling up; ChatGPT and DeepSeek
// mount only part of the list) shows a turn T with nothing above it: T and the turns after it are
// recorded with the context known then (lib/chain.js). When the older turns render, T is linked to
// its predecessor and they are recorded; from then on T's chain reaches the conversation's start,
// and T and every turn below it on the chain get another context and turn index. Records keep
// their token counts (never text), so pycore's `reestimate` op, which shares the exchange op's
// code, estimates them again from those counts: the records end as if the turns had been recorded
// in order.
//
// Resumable: whoever changes a chain (a record stored, a predecessor linked) marks the records
// whose context or index now differs with `reestimate: true`, in the same storage write. The pass
// below re-estimates marked records batch by batch, each batch written under the storage lock
// (with the index rebuilt in the same write) only if the chain still gives the context it was
// estimated for. A service worker stopped mid-way leaves the marks, and its next start resumes.
//
// The same writes clear a wrong "regenerated" flag: a page's true first turn, estimated before the
// turn below it was linked, was taken for another generation of that turn (see chain.js
// isRegeneration). Its record names the records that made it look so (`regenerated_of`); once
// each of those is found below it on its chain, they were later turns, not generations of it.
import { chainContext, regenerationOf } from "./chain.js";
import { APPLIED_KEY } from "./recompute.js";
import {
  IMPACT_FIELDS, MAX_WARNINGS, checkAll, checkDocument, convKey, getSettings, impactKey, impactSettings, writeDocs,
} from "./store.js";

export const BATCH = 200;
export const MAX_EVIDENCE = 10; // regenerated_of kept per record (more twins: the flag is never cleared)
const MAX_PASSES = 5; // per kick: a chain changing under every pass is the odd case; never loop forever

// -- pure ------------------------------------------------------------------------------------------

/** The records of `doc` with one of `gens`, and every record below them on a chain (each once). */
export function below(doc, gens) {
  const children = new Map();
  for (const r of doc.exchanges) {
    if (typeof r.prev_gen !== "string") continue;
    if (!children.has(r.prev_gen)) children.set(r.prev_gen, []);
    children.get(r.prev_gen).push(r);
  }
  const found = new Set(doc.exchanges.filter((r) => gens.includes(r.gen)));
  for (const r of found) { // a Set visits what is added while iterating: breadth first, cycles end
    for (const c of children.get(r.gen) || []) found.add(c);
  }
  return [...found];
}

/** {context_tokens, turn_index} the record would be estimated with if it were recorded now (itself left out). */
export function chainTarget(doc, r) {
  const others = { ...doc, exchanges: doc.exchanges.filter((x) => x !== r) };
  const c = chainContext(others, r.prev_gen, r.turn_index);
  return { context_tokens: c.context_tokens, turn_index: c.turn_index };
}

export function differs(r, target) {
  return r.context_tokens !== target.context_tokens || r.turn_index !== target.turn_index;
}

/**
 * Targets of the marked records of `doc` (Map id -> target), each computed with the others'
 * targets in place, so that they agree with one another as the stored records will. Bounded.
 */
export function targets(doc) {
  const work = { ...doc, exchanges: doc.exchanges.map((r) => ({ ...r })) };
  const marked = work.exchanges.filter((r) => r.reestimate === true);
  for (let round = 0; round <= marked.length; round++) {
    let moved = false;
    for (const r of marked) {
      const t = chainTarget(work, r);
      if (t.turn_index !== r.turn_index) moved = true;
      Object.assign(r, t);
    }
    if (!moved) break;
  }
  return new Map(marked.map((r) => [r.id, { context_tokens: r.context_tokens, turn_index: r.turn_index }]));
}

/**
 * What `regenerated_of` a new record should keep: the generations that made it a regeneration,
 * only for a turn with nothing rendered before it that was matched only by such turns (the one
 * case a later link can disprove). Undefined otherwise.
 */
export function regenerationEvidence(prevGen, twins) {
  if (prevGen !== null || !twins.length || twins.length > MAX_EVIDENCE) return undefined;
  return twins.every((t) => t.prev_gen === null) ? twins.map((t) => t.gen) : undefined;
}

/** Whether the chain walked up from `from` reaches the record `target` (bounded, cycles end). */
function reaches(byGen, from, target) {
  const seen = new Set();
  for (let r = byGen.get(from.prev_gen); r && !seen.has(r); r = byGen.get(r.prev_gen)) {
    if (r === target) return true;
    seen.add(r);
  }
  return false;
}

/**
 * After a record of `doc` was stored or linked (generations `gens`), in place: marks the records
 * whose context or turn index now differs, and clears "regenerated" where every record that caused
 * it proved to be a later turn. Returns {marked, cleared}.
 */
export function afterChainChange(doc, gens) {
  let marked = 0, cleared = 0;
  for (const r of below(doc, gens)) {
    if (r.reestimate !== true && differs(r, chainTarget(doc, r))) {
      r.reestimate = true;
      marked++;
    }
  }
  const byGen = new Map(doc.exchanges.map((r) => [r.gen, r]));
  for (const r of doc.exchanges) {
    if (r.regenerated !== true || r.prev_gen !== null || !Array.isArray(r.regenerated_of)) continue;
    const twins = r.regenerated_of.map((g) => byGen.get(g));
    // each twin must be a later turn on this record's chain; and nothing else matches now
    if (!twins.every((t) => t && t !== r && reaches(byGen, t, r))) continue;
    const before = { ...doc, exchanges: doc.exchanges.slice(0, doc.exchanges.indexOf(r)) };
    if (regenerationOf(before, null, r.turn_index).length) continue;
    r.regenerated = false;
    delete r.regenerated_of;
    cleared++;
  }
  return { marked, cleared };
}

/** The fields of a record that its estimate gives (makeRecord uses them too: the two cannot drift apart). */
export function estimateFields(v, warnings, target, settings) {
  return {
    turn_index: target.turn_index, context_tokens: target.context_tokens,
    model: { label: v.model.label, is_fallback: Boolean(v.model.is_fallback) },
    prompt_tokens: v.prompt_tokens, reply_tokens: v.reply_tokens, reasoning_tokens: v.reasoning_tokens,
    reasoning_estimated: Boolean(v.reasoning_estimated), input_tokens: v.input_tokens, output_tokens: v.output_tokens,
    energy_wh: v.energy_wh, energy_wh_low: v.energy_wh_low, energy_wh_high: v.energy_wh_high,
    wall_wh: v.wall_wh, wall_wh_low: v.wall_wh_low, wall_wh_high: v.wall_wh_high,
    co2_g: v.co2_g, co2_g_low: v.co2_g_low, co2_g_high: v.co2_g_high,
    ...Object.fromEntries(IMPACT_FIELDS.map((f) => [f, v[f]])),
    region: v.region, grid_g_per_kwh: v.grid_g_per_kwh, pue: impactSettings(settings).pue ?? null,
    wue: impactSettings(settings).wue ?? null,
    impact_key: impactKey(settings), model_version: v.model_version, warnings: warnings.slice(0, MAX_WARNINGS),
  };
}

/** [{key, id, platform, record, target}] of the marked records of validated documents. */
export function markedRecords(docs) {
  const out = [];
  for (const doc of docs) {
    if (!doc.exchanges.some((r) => r.reestimate === true)) continue;
    const key = convKey(doc.platform, doc.conversation_id);
    const ts = targets(doc);
    for (const r of doc.exchanges) {
      if (r.reestimate === true) out.push({ key, id: r.id, platform: doc.platform, record: r, target: ts.get(r.id) });
    }
  }
  return out;
}

/** The reestimate op's request: each record's counts (never text) at its target. */
export function reestimateRequest(items, settings) {
  return {
    op: "reestimate", ...impactSettings(settings),
    records: items.map(({ platform, record: r, target }) => ({
      platform, model_label: r.model_label ?? null, prompt_tokens: r.prompt_tokens, reply_tokens: r.reply_tokens,
      reasoning_tokens: r.reasoning_tokens, reasoning_estimated: r.reasoning_estimated,
      reasoning_seconds: r.reasoning_seconds ?? null, turn_index: target.turn_index,
      context_tokens: target.context_tokens,
    })),
  };
}

// -- the service worker's loop ----------------------------------------------------------------------

/**
 * `python(request)` runs a pycore op, `locked(fn)` is the worker's storage lock, `debugOptions()`
 * the test hooks, `reportProblem(code, message)` the popup's problem list, `recomputeKick()`
 * starts a recompute. Test hooks: debug.reestimateBatch sets the batch size; debug.holdReestimate
 * = n holds every pass once n records were written since it was set (tests stop the worker there).
 * `onDone()` runs when a loop that wrote records ends with none left marked (open pages then
 * redraw the badges of the turns estimated again).
 */
export function reestimator({ python, locked, debugOptions, reportProblem, recomputeKick, onDone }) {
  let running = null;
  let dirty = false;
  let written = 0; // records written while the holdReestimate test hook is set

  function kick() {
    dirty = true;
    running ??= loop().finally(() => { running = null; });
    return running;
  }

  async function loop() {
    let wrote = false;
    for (let passes = 0; dirty && passes < MAX_PASSES; passes++) {
      dirty = false;
      const out = await pass();
      if (out === "again") { dirty = true; wrote = true; }
      else if (out !== "done") return; // held, or Python failed: the next start or store retries
      else if (wrote && onDone) await onDone();
    }
  }

  /** One pass over the marked records: "done" (none), "again" (some written), "held" or "failed". */
  async function pass() {
    // under the lock: after any write under way (the one that marked them, say)
    const { docs } = await locked(async () => checkAll(await chrome.storage.local.get(null)));
    const marked = markedRecords(docs);
    if (!marked.length) return "done";
    const settings = await getSettings();
    const debug = await debugOptions();
    const size = Number.isInteger(debug.reestimateBatch) && debug.reestimateBatch > 0 ? debug.reestimateBatch : BATCH;
    for (let i = 0; i < marked.length; i += size) {
      const hold = (await debugOptions()).holdReestimate;
      if (!Number.isInteger(hold)) written = 0;
      else if (written >= hold) return "held";
      const batch = marked.slice(i, i + size);
      const ask = batch.filter((m) => differs(m.record, m.target)); // the others only lose their mark
      let results = [];
      if (ask.length) {
        let out;
        try {
          out = await python(reestimateRequest(ask, settings));
        } catch (err) {
          await reportProblem("reestimate_failed", `estimating turns again in their conversation: ${err}`);
          return "failed";
        }
        if (!out.ok) { // the settings themselves were refused: the next change or start retries
          const e = out.errors[0] || {};
          await reportProblem(e.code || "error", `estimating turns again: ${e.message || "failed"}`);
          return "failed";
        }
        results = out.value.records;
      }
      const asked = new Map(ask.map((m, j) => [m.id, { target: m.target, v: results[j] }]));
      const n = await locked(() => writeBatch(batch, asked, settings));
      if (Number.isInteger(hold)) written += n;
    }
    return "again"; // a last pass confirms that nothing was marked meanwhile
  }

  /** Stores one batch's results (under the lock) where the chain still gives their target. Returns records done. */
  async function writeBatch(batch, asked, settings) {
    const keys = [...new Set(batch.map((m) => m.key))];
    const raw = await chrome.storage.local.get(keys); // only the batch's conversations, read again
    const ids = new Set(batch.map((m) => m.id));
    const changed = [];
    let done = 0;
    let refused = null;
    for (const key of keys) {
      const doc = raw[key] === undefined ? null : checkDocument(raw[key], key).doc;
      if (!doc || convKey(doc.platform, doc.conversation_id) !== key) continue;
      const ts = targets(doc); // read again: a record may have been stored or linked meanwhile
      let n = 0;
      for (const r of doc.exchanges) {
        if (r.reestimate !== true || !ids.has(r.id)) continue;
        const t = ts.get(r.id);
        const a = asked.get(r.id);
        if (!differs(r, t)) delete r.reestimate; // nothing to change (any longer)
        else if (!a || differs(a.target, t)) continue; // the chain moved on: the next pass does it
        else if (!a.v || a.v.error) {
          delete r.reestimate; // refused: it keeps its numbers, and is not sent again
          refused ??= a.v && a.v.error ? a.v.error.message : "no result";
        } else {
          Object.assign(r, estimateFields(a.v, Array.isArray(a.v.warnings) ? a.v.warnings : [], t, settings));
          delete r.reestimate;
        }
        n++;
      }
      if (n) changed.push(doc); // writeDocs keeps its damaged records as stored
      done += n;
    }
    if (!done) return 0;
    const now = impactKey(await getSettings());
    const stale = now !== impactKey(settings); // estimated under settings changed since: recomputed next
    await writeDocs(changed, stale ? { [APPLIED_KEY]: null } : {}); // records and aggregates in one write
    if (stale) recomputeKick();
    if (refused) {
      await reportProblem("reestimate_skipped", `a stored exchange could not be estimated again for its place in `
        + `the conversation and keeps its earlier figures (${refused})`);
    }
    return done;
  }

  return { kick, running: () => running !== null };
}
