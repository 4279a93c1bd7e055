// Recomputes stored exchanges when the settings that turn GPU energy into wall energy and CO2
// change (region or custom grid intensity, PUE override). GPU energy never depends on them, so a
// record keeps it and gets new wall/CO2 ranges from pycore's `impact` op, which shares the exchange
// op's code: a recomputed record equals one recorded under the new settings. The arithmetic stays
// in Python; this module only moves records in batches (one Pyodide call per batch).
//
// Each record carries impact_key (store.js impactKey) of the settings it was computed with, and
// APPLIED_KEY says which settings every record is known to match. A pass recomputes the records
// whose key differs, batch by batch, each written under the storage lock with the aggregates brought
// along (store.js writeDocs: a stop between batches leaves them agreeing with the records), then sets
// APPLIED_KEY. Stopped mid-way (MV3 stops idle workers), the next start finds APPLIED_KEY
// stale and resumes with the records still carrying the old key: a record is recomputed from its
// GPU energy, never from its previous wall energy, so doing one twice changes nothing.
import {
  IMPACT_FIELDS, MAX_WARNINGS, checkAll, checkDocument, contribution, convKey, getSettings, impactKey, impactSettings,
  unwatchDocs, watchDocs, writeDocs,
} from "./store.js";

export const BATCH = 1000;
export const APPLIED_KEY = "impact_applied"; // impactKey every stored record is known to match
export const PROGRESS_KEY = "impact_progress"; // {key, done, total} while a pass runs (for the popup)
const WALL_CO2 = ["wall_wh", "wall_wh_low", "wall_wh_high", "co2_g", "co2_g_low", "co2_g_high", ...IMPACT_FIELDS];
const MAX_PASSES = 5; // per kick: records stored meanwhile with old settings are few; never loop forever

/** [{key, id, platform, record}] of validated documents whose records were computed under other settings. */
export function staleRecords(docs, key, skip = new Set()) {
  const out = [];
  for (const doc of docs) {
    const storageKey = convKey(doc.platform, doc.conversation_id);
    for (const r of doc.exchanges) {
      if (r.impact_key === key || skip.has(r.id)) continue;
      out.push({ key: storageKey, id: r.id, platform: doc.platform, record: r });
    }
  }
  return out;
}

/** The impact op's request for these records under these settings. */
export function impactRequest(items, settings) {
  return {
    op: "impact", ...impactSettings(settings),
    records: items.map(({ platform, record: r }) => ({
      platform, model_label: r.model_label ?? null, energy_wh_low: r.energy_wh_low, energy_wh: r.energy_wh,
      energy_wh_high: r.energy_wh_high, ...(Array.isArray(r.warnings) ? { warnings: r.warnings } : {}),
    })),
  };
}

/**
 * Writes one result of the impact op into a record (in place), as makeRecord would have. `key`:
 * impactKey(settings); a caller applying many results computes it once (it reads the manifest).
 */
export function applyImpact(r, v, settings, key = impactKey(settings)) {
  const s = impactSettings(settings);
  for (const f of WALL_CO2) r[f] = v[f];
  r.region = v.region;
  r.grid_g_per_kwh = v.grid_g_per_kwh;
  r.pue = s.pue ?? null;
  r.wue = s.wue ?? null;
  if (Array.isArray(v.warnings)) r.warnings = v.warnings.slice(0, MAX_WARNINGS);
  r.impact_key = key;
  return r;
}

/**
 * The recompute loop of the service worker. `python(request)` runs a pycore op, `locked(fn)` is the
 * worker's storage lock, `debugOptions()` the test hooks, `reportProblem(code, message)` the popup's
 * problem list, `onApplied()` is called when a pass has brought every record to the settings (the
 * worker then updates the badges on open pages). Test hooks: debug.recomputeBatch sets the batch
 * size; debug.holdRecompute = n stops the recompute once n records are done (tests stop the worker there);
 * debug.pauseRecompute = n makes the pass wait there, still under way, until the hook changes.
 */
export function recomputer({ python, locked, debugOptions, reportProblem, onApplied = () => {} }) {
  let running = null;
  let dirty = false;
  // records the op refused: not retried under the same settings
  let failed = { key: null, ids: new Set(), first: null };

  function kick() {
    dirty = true;
    running ??= loop().finally(() => { running = null; });
    return running;
  }

  async function loop() {
    for (let passes = 0; dirty && passes < MAX_PASSES; passes++) {
      dirty = false;
      const out = await pass();
      if (out === "again") dirty = true;
      else if (out !== "done") return; // held, or Python failed: the next start, change or popup retries
    }
  }

  /** One pass over the stored records: "done", "again" (settings or records changed), "held" or "failed". */
  async function pass() {
    const settings = await getSettings();
    const key = impactKey(settings);
    if ((await chrome.storage.local.get(APPLIED_KEY))[APPLIED_KEY] === key) return "done";
    if (failed.key !== key) failed = { key, ids: new Set(), first: null };
    // Started before the documents are read: those written by others from then on are read again,
    // the rest this pass knows as it read and wrote them (reading every record is a good part of its time).
    const watch = watchDocs();
    try {
      return await watchedPass(settings, key, watch);
    } finally {
      unwatchDocs(watch);
    }
  }

  async function watchedPass(settings, key, watch) {
    const debug = await debugOptions();
    const size = Number.isInteger(debug.recomputeBatch) && debug.recomputeBatch > 0 ? debug.recomputeBatch : BATCH;
    const stored = await chrome.storage.local.get(null);
    const checked = checkAll(stored);
    // each document as stored ({raw, doc: validated}); writeBatch changes doc in place as it writes it
    const known = new Map(checked.docs.map((doc) => {
      const k = convKey(doc.platform, doc.conversation_id);
      return [k, { raw: stored[k], doc }];
    }));
    const stale = staleRecords(checked.docs, key, failed.ids);
    const before = (await chrome.storage.local.get(PROGRESS_KEY))[PROGRESS_KEY];
    const progress = before && before.key === key // resumed after a stop: count on from there
      ? { key, done: before.done, total: before.done + stale.length } : { key, done: 0, total: stale.length };
    // Python works on the next batch while this one is written (the offscreen worker is another thread).
    const ask = (i) => {
      const p = python(impactRequest(stale.slice(i, i + size), settings));
      p.catch(() => {}); // a batch never awaited (held, settings changed) must not be an unhandled rejection
      return p;
    };
    let next = stale.length ? ask(0) : null;
    for (let i = 0; i < stale.length; i += size) {
      let out;
      try {
        out = await next;
      } catch (err) {
        await reportProblem("recompute_failed", `recomputing for the new settings: ${err}`);
        return "failed";
      }
      if (!out.ok) { // the settings themselves were refused: nothing to retry until they change
        const e = out.errors[0] || {};
        await reportProblem(e.code || "error", `recomputing for the new settings: ${e.message || "failed"}`);
        return "failed";
      }
      let hooks = await debugOptions();
      if (Number.isInteger(hooks.holdRecompute) && progress.done >= hooks.holdRecompute) return "held";
      while (hooks.pauseRecompute === progress.done) { // the pass waits, still under way
        await new Promise((go) => setTimeout(go, 50));
        hooks = await debugOptions();
      }
      next = i + size < stale.length ? ask(i + size) : null;
      const batch = stale.slice(i, i + size);
      const wrote = await locked(() => writeBatch(batch, out.value.records, settings, key, progress, watch, known));
      if (!wrote) return "again";
    }
    const end = await locked(async () => {
      if (impactKey(await getSettings()) !== key) return "again";
      // Only documents others wrote during the pass may hold records under other settings: the rest hold
      // what the pass read, every record of its other settings recomputed (or failed) and written.
      const written = [...watch];
      const again = written.length ? checkAll(await chrome.storage.local.get(written)) : null;
      if (again && staleRecords(again.docs, key, failed.ids).length) return "again"; // written behind our back
      await chrome.storage.local.set({ [APPLIED_KEY]: key }); // the aggregates followed every batch
      await chrome.storage.local.remove(PROGRESS_KEY);
      if (failed.ids.size) {
        await reportProblem("recompute_skipped", `${failed.ids.size} stored exchange(s) could not be recomputed `
          + `for the new settings and keep their earlier values (${failed.first})`);
      }
      return "done";
    });
    // Only now, not per batch: the open pages ask for their badges' figures again once every record
    // is done, so until then a badge keeps the figures it was drawn with. (A page that asks meanwhile,
    // loaded or badges switched on, gets each record as stored: one settings' figures, never a mix of
    // two, as writeBatch replaces all six at once.) A pass cut short by a stopped worker tells the
    // pages when the pass that resumes it ends.
    if (end === "done") await onApplied();
    return end;
  }

  /**
   * Stores one batch's results (under the lock). False when the settings changed meanwhile. `known`:
   * the documents as the pass read them, used as they are unless `watch` says they were written since.
   */
  async function writeBatch(batch, results, settings, key, progress, watch, known) {
    if (impactKey(await getSettings()) !== key) return false;
    const byId = new Map();
    batch.forEach((item, j) => {
      const v = results[j];
      if (v && !v.error) byId.set(item.id, v);
      else {
        failed.ids.add(item.id);
        failed.first ??= v && v.error ? v.error.message : "no result";
      }
    });
    const keys = [...new Set(batch.map((item) => item.key))];
    // read again those written since the pass read them: the popup may have cleared the data, an
    // exchange may have been added
    const reread = new Set(keys.filter((k) => watch.has(k) || !known.has(k)));
    const raw = reread.size ? await chrome.storage.local.get([...reread]) : {};
    const changed = [];
    const before = [];
    for (const k of keys) {
      let doc;
      if (reread.has(k)) {
        const c = raw[k] === undefined ? null : checkDocument(raw[k], k);
        doc = c && c.doc;
      } else {
        ({ raw: raw[k], doc } = known.get(k));
      }
      if (!doc) continue;
      const was = contribution(doc); // what it adds to the aggregates until this batch is written
      let n = 0;
      for (const r of doc.exchanges) {
        const v = byId.get(r.id);
        if (v && r.impact_key !== key) { applyImpact(r, v, settings, key); n++; }
      }
      if (n) { changed.push(doc); before.push(was); } // writeDocs keeps its damaged records as stored
      progress.done += n;
    }
    // APPLIED_KEY goes with the first write: the records no longer all match the settings it names
    await writeDocs(changed, { [PROGRESS_KEY]: { ...progress }, [APPLIED_KEY]: null }, { raw, before, watch });
    return true;
  }

  /**
   * Brings one record computed under other settings to `settings` (the service worker calls it under
   * the lock for an exchange whose estimate started before a change). False if Python failed: then
   * the next pass does it.
   */
  async function refresh(record, platform, settings) {
    try {
      const out = await python(impactRequest([{ platform, record }], settings));
      const v = out.ok ? out.value.records[0] : null;
      if (v && !v.error) {
        applyImpact(record, v, settings);
        return true;
      }
    } catch { /* below */ }
    await chrome.storage.local.set({ [APPLIED_KEY]: null });
    return false;
  }

  return { kick, refresh, running: () => running !== null };
}
