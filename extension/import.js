// The import page: a chat service's data export (the .zip as downloaded, or a file of it) estimated
// here, in a Pyodide worker of this page's own (worker.js, as the offscreen document runs it), and
// stored by the service worker batch by batch (its "importHistory" message, lib/importer.js). Which
// service's export it is, pycore's import_open detects from the file and says with every batch. A long
// export is shared out between two workers (one per core): each reads the file and estimates every
// other conversation, their batches are stored in turn, and the first adds up the notes.
//
// A page, not the popup: a popup closes when it loses focus (the file picker takes it), and an
// import of a long history takes a while. The file's bytes go to the worker as a transferred
// ArrayBuffer (copied only for a second worker, never turned into a string here); the worker writes
// them into Pyodide's file system, where pycore's import_open reads them once and removes them. What comes back and
// what is sent on holds counts and energies only. Cancelling stops the workers at once (their sessions
// and the export's text go with them) and sends no further batch; the batch being stored, if any, is
// written whole or not at all (one storage call with its aggregates); batches stored by then stay,
// and importing the file again adds the rest without counting any twice.
import { getSettings, impactSettings } from "./lib/store.js";
import { count } from "./lib/format.js";
import { SITE_BY_ID } from "./lib/sites.js";

const BATCH = 500; // generations per Python call and per message to the service worker
const MAX_WORKERS = 2; // Pyodide workers a long export is shared out between (each holds the parsed export a while)
const SHARE_BYTES = 2 << 20; // files from 2 MB are shared out (some 500 generations as JSON, 1,500 zipped)
const STORE_TRIES = 3; // a service worker stopped by the browser mid-message is started again by the next
const $ = (id) => document.getElementById(id);
let job = null;

/** One request to pycore.browser.handle in `worker`; `files` ([{path, bytes}]) are transferred with it. */
function caller(worker) {
  const waiting = new Map();
  let next = 0;
  const failAll = (message) => {
    for (const w of waiting.values()) w.reject(new Error(message));
    waiting.clear();
  };
  worker.addEventListener("message", (event) => {
    const { id, result, error } = event.data;
    const w = waiting.get(id);
    if (!w) return;
    waiting.delete(id);
    if (error) w.reject(new Error(error));
    else w.resolve(JSON.parse(result));
  });
  worker.addEventListener("error", (event) => failAll(`the estimator stopped: ${event.message || "worker error"}`));
  const call = (request, files = []) => new Promise((resolve, reject) => {
    const id = next++;
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, request: JSON.stringify(request), files }, files.map((f) => f.bytes));
  });
  return { call, failAll };
}

/** The op's value, or an Error with its message and hint. */
function valueOf(out) {
  if (out.ok) return out.value;
  const e = out.errors[0] || {};
  throw new Error([e.message || "the estimate failed", e.hint].filter(Boolean).join(" — "));
}

async function store(platform, conversations, settings) {
  const message = { target: "background", type: "importHistory", data: { platform, settings, conversations } };
  for (let attempt = 1; ; attempt++) {
    let reply;
    try {
      reply = await chrome.runtime.sendMessage(message);
    } catch (err) { // no answer (the service worker was stopped meanwhile): ask again
      if (attempt >= STORE_TRIES) throw new Error(`could not store the records: ${err.message}`, { cause: err });
      continue;
    }
    if (reply && reply.ok) return reply.value;
    if (!reply && attempt < STORE_TRIES) continue;
    throw new Error(`could not store the records: ${reply ? reply.error : "no reply"}`);
  }
}

/**
 * Test hook: while debug.holdImport is true, or a number no greater than the generations sent so far, no batch is
 * sent (tests stop the service worker meanwhile). A number lets a test hold at a known point however fast the run.
 */
async function held(state) {
  for (;;) {
    const { debug } = await chrome.storage.local.get("debug");
    const hold = debug && debug.holdImport;
    const holding = hold === true || (Number.isInteger(hold) && state.added + state.skipped >= hold);
    if (!holding || state.cancelled || state.stopped) {
      delete $("status").dataset.held;
      return;
    }
    $("status").dataset.held = "true";
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function duration(s) {
  if (s < 60) return `${Math.max(1, Math.round(s))} s`;
  const m = Math.round(s / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function setStatus(state, text) {
  const box = $("status");
  box.dataset.state = state;
  box.textContent = text;
}

const RATE_WINDOW = 10; // batches the time left is reckoned from (storing slows a little as the index grows)

/** Updates the bar and its text; `samples` ([{t, n}], the run's so far) give the recent rate. */
function showProgress(p, samples) {
  const { done, total } = p;
  const bar = $("progress");
  bar.max = Math.max(1, total.generations);
  bar.value = done.generations;
  samples.push({ t: performance.now(), n: done.generations });
  const from = samples[Math.max(0, samples.length - 1 - RATE_WINDOW)];
  const last = samples[samples.length - 1];
  let left = "";
  if (last.n > from.n && done.generations < total.generations && last.t - samples[0].t > 500) {
    const perGen = (last.t - from.t) / 1000 / (last.n - from.n);
    left = ` · about ${duration((total.generations - done.generations) * perGen)} left`;
  }
  $("progress-text").textContent = `${count(done.generations)} of ${count(total.generations)} generations`
    + ` (${count(done.conversations)} of ${count(total.conversations)} conversations)${left}`;
}

function setRunning(running) {
  $("file").disabled = running;
  $("start").disabled = running || !$("file").files.length;
  $("cancel").hidden = !running;
  $("progress-box").hidden = !running && $("progress").value === 0;
  if (running) $("cancel").focus();
  else if (document.activeElement === $("cancel") || document.activeElement === document.body) $("start").focus();
}

/**
 * How many Pyodide workers share the export out: one per core up to MAX_WORKERS for a long export (each
 * estimates every n-th conversation; a conversation's records depend on no other's), one for a short
 * one, where a second Pyodide's start would cost more than it saves. debug.importWorkers (tests) sets it.
 */
function workerCount(file, debug) {
  if (debug && Number.isInteger(debug.importWorkers) && debug.importWorkers >= 1) {
    return Math.min(debug.importWorkers, MAX_WORKERS);
  }
  if (file.size < SHARE_BYTES) return 1;
  return Math.max(1, Math.min(MAX_WORKERS, navigator.hardwareConcurrency || 1));
}

/** The parts' latest progress ({done, total} of each) added up, as one session over the whole export would give. */
function combined(parts) {
  const sum = (which, what) => parts.reduce((n, p) => n + p[which][what], 0);
  return {
    done: { conversations: sum("done", "conversations"), generations: sum("done", "generations") },
    total: { conversations: sum("total", "conversations"), generations: sum("total", "generations") },
  };
}

async function run(file) {
  const { debug } = await chrome.storage.local.get("debug"); // tests: smaller batches, workers (and held())
  const workers = Array.from({ length: workerCount(file, debug) }, () => new Worker("worker.js", { type: "module" }));
  const callers = workers.map(caller);
  // ms from the start: export read and parsed (Pyodide booted), the end; and the time spent storing
  const state = { workers, failAll: (m) => callers.forEach((c) => c.failAll(m)), cancelled: false, stopped: false,
                  added: 0, skipped: 0, newer: 0, t0: performance.now(), openedMs: null, doneMs: null, storeMs: 0 };
  job = state;
  $("notes").replaceChildren();
  $("progress").value = 0;
  setRunning(true);
  try {
    setStatus("running", "Reading the file…");
    const bytes = await file.arrayBuffer();
    setStatus("running", "Starting the estimator and reading the export (a few seconds)…");
    const settings = impactSettings(await getSettings());
    const path = `/tmp/promptwatt-import-${Date.now()}`;
    const parts = callers.length;
    // each worker reads its own copy (transferred, not copied again); the first gets the original
    const copies = [bytes, ...callers.slice(1).map(() => bytes.slice(0))];
    const opened = await Promise.all(callers.map(({ call }, part) => call(
      { op: "import_open", path, part, parts, ...settings }, [{ path, bytes: copies[part] }]).then(valueOf)));
    const whole = combined(opened);
    if (!whole.total.generations) {
      setStatus("done", "This export holds no replies to import.");
      return;
    }
    // pycore names the service it detected; one that does not say predates detection and read ChatGPT's only
    const platform = opened[0].platform || "chatgpt";
    const name = SITE_BY_ID[platform] ? SITE_BY_ID[platform].name : platform;
    setStatus("running", `Estimating and storing the ${name} export…`);
    const samples = [];
    state.openedMs = performance.now() - state.t0;
    showProgress(whole, samples);
    const size = debug && Number.isInteger(debug.importBatch) && debug.importBatch > 0 ? debug.importBatch : BATCH;
    const latest = [...opened];
    const last = [];

    /** One worker's share: batch after batch, each stored (the service worker's lock takes them in turn). */
    async function drive(part) {
      const { call } = callers[part];
      const ask = () => {
        const p = call({ op: "import_next", session: opened[part].session, max_generations: size });
        p.catch(() => {}); // awaited below, unless a cancel or another part's failure ends the run first
        return p;
      };
      let pending = ask();
      try {
        for (;;) {
          const batch = valueOf(await pending);
          if (!batch.finished) pending = ask(); // Python estimates the next batch while this one is stored
          if (batch.conversations.length) {
            await held(state);
            if (state.cancelled || state.stopped) return; // nothing is sent after a cancel or a failure
            const t = performance.now();
            const out = await store(batch.platform || platform, batch.conversations, settings);
            state.storeMs += performance.now() - t;
            state.added += out.added;
            state.skipped += out.skipped;
            state.newer += out.newer;
          }
          if (state.cancelled || state.stopped) return;
          latest[part] = batch;
          showProgress(combined(latest), samples);
          if (batch.finished) {
            last[part] = batch;
            return;
          }
        }
      } catch (err) {
        state.stopped = true; // the other parts send nothing more; the count said is final once they stop
        throw err;
      }
    }

    const ends = await Promise.allSettled(callers.map((_, part) => drive(part)));
    const failed = ends.find((e) => e.status === "rejected");
    if (failed) throw failed.reason;
    if (state.cancelled) return;
    // the first worker's notes with the other parts' counts added (none when it read the whole export)
    const { notes } = valueOf(await callers[0].call(
      { op: "import_notes", session: opened[0].session, counts: last.slice(1).map((b) => b.counts) }));
    $("notes").replaceChildren(...notes.map((n) => Object.assign(document.createElement("li"),
      { textContent: n })));
    await Promise.all(callers.map(({ call }, part) => call({ op: "import_close", session: opened[part].session })));
    const summary = [`Imported ${count(state.added)} generation${state.added === 1 ? "" : "s"} of `
      + `${count(whole.total.conversations)} conversation${whole.total.conversations === 1 ? "" : "s"}.`];
    if (state.skipped) summary.push(`${count(state.skipped)} already recorded were not counted again.`);
    if (state.newer) summary.push(`${count(state.newer)} in conversations saved by a newer PromptWatt were left out.`);
    summary.push("They are in the popup's totals and conversations.");
    state.doneMs = performance.now() - state.t0;
    setStatus("done", summary.join(" "));
  } catch (err) {
    if (state.cancelled) return; // the workers were stopped: their pending answers fail
    setStatus("error", `Import stopped: ${err.message}`
      + (state.added ? ` (${count(state.added)} generations were stored before; importing again adds the rest).` : ""));
  } finally {
    for (const w of workers) w.terminate(); // Pyodide and the export's text go with them
    if (state.cancelled) { // said once no batch is being stored any more: the count is final
      setStatus("cancelled", `Cancelled. ${count(state.added)} generations were stored before you cancelled; `
        + "importing the same file again adds the rest without counting any twice.");
    }
    const st = $("status");
    st.dataset.added = String(state.added);
    st.dataset.skipped = String(state.skipped);
    st.dataset.workers = String(workers.length);
    // timings (bench/bench_history.py --extension reads them)
    Object.assign(st.dataset, { openedMs: String(state.openedMs), doneMs: String(state.doneMs),
                                storeMs: String(state.storeMs) });
    if (job === state) job = null;
    setRunning(false);
  }
}

function cancel() {
  if (!job || job.cancelled) return;
  job.cancelled = true;
  for (const w of job.workers) w.terminate(); // stops the estimates, drops the sessions; a batch being stored finishes
  job.failAll("cancelled");
  setStatus("cancelling", "Cancelling…");
}

$("file").addEventListener("change", () => { $("start").disabled = Boolean(job) || !$("file").files.length; });
$("import-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const file = $("file").files[0];
  if (file && !job) run(file);
});
$("cancel").addEventListener("click", cancel);
window.addEventListener("beforeunload", (event) => { if (job) event.preventDefault(); });
