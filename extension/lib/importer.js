// A chat service's data export imported into the stored records (the import page, import.js, estimates
// it with pycore's import ops in its own Pyodide worker, which detect the service from the file, and
// sends the results here in batches, each conversation under the platform pycore detected).
//
// An imported record is a record like any other (counts and energies, never text) with
// `source: "import"` and `msg_ids`: the ids of the reply's messages in the export. Its gen is the
// export's own id of the reply where the export has one, else a key pycore derives from the
// conversation id, time and turn index (never from text), the same for the same export every time:
// an export imported twice, or two exports of overlapping periods, name a generation alike. The page
// marks a reply by its first *rendered* message (sites/chatgpt.js), which the export may precede with
// hidden or "thoughts" messages, so a generation is the same one when any of those ids match
// (chain.js genAliases). Where the page names replies otherwise than the export (a page key and a hash
// of the text read), a live record is the same generation as the imported one at the same turn with
// the nearest token counts (liveTwins). Nothing is counted twice:
//  - a generation already stored (recorded live, or imported before) is skipped; the stored record
//    learns the export's ids of its reply, so that the export's later generations, which name it by
//    its first message id, follow it on the chain; and a live turn that had nothing rendered before
//    it gets the export's predecessor (as link() does for a page's older turns);
//  - a later live exchange naming an imported reply by another of its message ids finds it
//    (queue.js and background.js's link() canonicalise gen and prev_gen with chain.js canonicalGen).
// Imported records come with the context of their own branch in the export. Where a chain now
// reaches further (a live turn linked, an imported turn after live ones whose page text counted
// differently), the records whose context differs are marked and estimated again (lib/reestimate.js),
// exactly as for turns recorded mid-history.
// Pure functions (the service worker and tests/browser/store_check.mjs share them).
import { exchangeId, genAliases } from "./chain.js";
import { afterChainChange, estimateFields } from "./reestimate.js";
import { IMPACT_FIELDS, MAX_GEN, MAX_TIME, PLATFORMS, isValidRecord } from "./store.js";

export const SOURCE = "import";
export const MAX_IMPORT_RECORDS = 2000; // per message from the import page
export const MAX_MSG_IDS = 64; // message ids kept per record
const VALUE_FIELDS = ["prompt_tokens", "reply_tokens", "reasoning_tokens", "input_tokens", "output_tokens",
  "energy_wh", "energy_wh_low", "energy_wh_high", "wall_wh", "wall_wh_low", "wall_wh_high",
  "co2_g", "co2_g_low", "co2_g_high", "grid_g_per_kwh"];

function fail(message) {
  throw new Error(`import: ${message}`);
}

function id(x, what) {
  if (typeof x !== "string" || !x) fail(`${what} must be a non-empty string`);
  return x.slice(0, MAX_GEN); // cut as the service worker cuts live gens, so that the two still match
}

function finite(x) {
  return typeof x === "number" && Number.isFinite(x);
}

/** The settings the page estimated with, as stored settings (only what changes wall energy and CO2). */
function cleanSettings(s) {
  if (!s || typeof s !== "object") fail("the settings used are missing");
  const opt = (x, what) => {
    if (x === null || x === undefined) return null;
    if (!finite(x)) fail(`${what} must be a number or null`);
    return x;
  };
  if (s.region !== null && s.region !== undefined && typeof s.region !== "string") fail("region must be a string");
  return { region: s.region || null, grid_g_per_kwh: opt(s.grid_g_per_kwh, "grid_g_per_kwh"), pue: opt(s.pue, "pue"),
           wue: opt(s.wue, "wue") };
}

/**
 * One record of pycore's import_next op (history_import.py) as stored: typed, bounded and checked.
 * `now` stands in for an undated generation's time.
 */
export function importedRecord(platform, conversationId, raw, settings, now) {
  if (!raw || typeof raw !== "object") fail("a record must be an object");
  const gen = id(raw.gen, "gen");
  const prevGen = raw.prev_gen === null || raw.prev_gen === undefined ? null : id(raw.prev_gen, "prev_gen");
  const ids = Array.isArray(raw.msg_ids) ? raw.msg_ids.filter((x) => typeof x === "string" && x) : [];
  for (const f of ["turn_index", "context_tokens"]) {
    if (!Number.isInteger(raw[f]) || raw[f] < 0) fail(`${f} must be an integer >= 0`);
  }
  const v = raw.value;
  if (!v || typeof v !== "object" || !v.model || typeof v.model.label !== "string"
      || !VALUE_FIELDS.every((f) => finite(v[f]) && v[f] >= 0)
      || !IMPACT_FIELDS.every((f) => v[f] === undefined || (finite(v[f]) && v[f] >= 0))) {
    fail(`the estimate of ${gen} is incomplete`);
  }
  if (typeof v.region !== "string" || typeof v.model_version !== "string") fail(`the estimate of ${gen} is incomplete`);
  const warnings = Array.isArray(raw.warnings) ? raw.warnings.filter((w) => typeof w === "string") : [];
  const seconds = finite(raw.reasoning_seconds) && raw.reasoning_seconds >= 0 ? raw.reasoning_seconds : null;
  const r = {
    id: exchangeId(platform, conversationId, gen), gen, prev_gen: prevGen === gen ? null : prevGen,
    regenerated: raw.regenerated === true, time: finite(raw.time) && raw.time > 0 && raw.time <= MAX_TIME ? raw.time : now,
    model_label: typeof raw.model_label === "string" ? raw.model_label.slice(0, 200) : "",
    reasoning_seconds: seconds,
    // the turn index and context of its own branch in the export (raw's), as the op estimated it
    ...estimateFields(v, warnings.map((w) => w.slice(0, 500)), raw, settings),
    source: SOURCE,
    msg_ids: [...new Set(ids.map((x) => x.slice(0, MAX_GEN)))].filter((x) => x !== gen).slice(0, MAX_MSG_IDS),
  };
  if (!isValidRecord(r)) fail(`the record of ${gen} is not valid`);
  return r;
}

function platformOf(x, what) {
  if (!PLATFORMS.includes(x)) fail(`${what} must be a registered site, got ${JSON.stringify(x)}`.slice(0, 200));
  return x;
}

/**
 * The page's message {platform, settings, conversations: [{conversation_id, title, records}]}, typed
 * and bounded: {settings, conversations: [{platform, conversation_id, title, records: [stored record]}]}.
 * The platform is the batch's (what pycore detected), or a conversation's or record's own where they
 * name one; a conversation's records all belong to its platform.
 */
export function cleanImportBatch(data, now = Date.now()) {
  if (!data || !Array.isArray(data.conversations)) fail("conversations must be a list");
  const settings = cleanSettings(data.settings);
  const batchPlatform = data.platform === undefined || data.platform === null ? null : platformOf(data.platform, "platform");
  let n = 0;
  const conversations = data.conversations.map((c) => {
    if (!c || typeof c !== "object" || !Array.isArray(c.records)) fail("each conversation needs a list of records");
    const conv = id(c.conversation_id, "conversation_id").slice(0, 200);
    n += c.records.length;
    if (n > MAX_IMPORT_RECORDS) fail(`at most ${MAX_IMPORT_RECORDS} records per message`);
    const own = c.platform ?? c.records.find((r) => r && r.platform !== undefined && r.platform !== null)?.platform;
    const platform = platformOf(own ?? batchPlatform, "platform");
    if (c.records.some((r) => r && r.platform !== undefined && r.platform !== null && r.platform !== platform)) {
      fail(`the records of conversation ${conv} name another platform than ${platform}`);
    }
    return { platform, conversation_id: conv, title: typeof c.title === "string" ? c.title.slice(0, 300) : "",
             records: c.records.map((raw) => importedRecord(platform, conv, raw, settings, now)) };
  });
  return { settings, conversations };
}

// How far a live record's token counts may be from the export's for the same reply: the page's text is
// the rendered reply read back (lib/format and content/common.js readText), the export's its source.
const NEAR_TOKENS = 8;
const NEAR_SHARE = 0.15;

function near(a, b) {
  return Math.abs(a - b) <= Math.max(NEAR_TOKENS, NEAR_SHARE * Math.max(a, b));
}

/**
 * Live records of `doc` that are the same generation as an imported record with no id in common: Map
 * (imported record -> live record). A site's page may name a reply otherwise than its export does
 * (DeepSeek's rows, Gemini's drafts: a key of the page and a hash of the text read), so a live record
 * not matched by id, not claimed by an earlier import (it would hold the export's ids) and not by an
 * id of this batch, is the one at the same turn whose prompt and reply token counts are nearest,
 * within NEAR_TOKENS or NEAR_SHARE. Each live record stands for one imported record at most.
 */
function liveTwins(doc, records, known) {
  const claimed = new Set();
  const open = [];
  for (const rec of records) {
    const m = [rec.gen, ...rec.msg_ids].map((x) => known.get(x)).find(Boolean);
    if (m) claimed.add(m);
    else open.push(rec);
  }
  const live = doc.exchanges.filter((r) => r.source !== SOURCE && !claimed.has(r)
    && !(Array.isArray(r.msg_ids) && r.msg_ids.length));
  const out = new Map();
  for (const rec of open) {
    let best = null, bestDistance = Infinity;
    for (const r of live) {
      if (claimed.has(r) || r.turn_index !== rec.turn_index || !near(r.prompt_tokens, rec.prompt_tokens)
          || !near(r.reply_tokens, rec.reply_tokens)) continue;
      const d = Math.abs(r.prompt_tokens - rec.prompt_tokens) + Math.abs(r.reply_tokens - rec.reply_tokens);
      if (d < bestDistance) { best = r; bestDistance = d; }
    }
    if (best) {
      claimed.add(best);
      out.set(rec, best);
    }
  }
  return out;
}

/**
 * Merges imported records into a stored conversation `doc` (in place). Returns {added (the
 * records stored), skipped (already there), marked (to estimate again), changed (doc to write)}.
 */
export function mergeImported(doc, title, records) {
  const known = genAliases(doc);
  const canonical = (gen) => (typeof gen === "string" && known.has(gen) ? known.get(gen).gen : gen);
  const added = [];
  const touched = new Set(); // gens whose chain changed
  let skipped = 0, changed = false;
  const sameTurn = liveTwins(doc, records, known);
  for (const rec of records) {
    const ids = [rec.gen, ...rec.msg_ids];
    const match = ids.map((x) => known.get(x)).find(Boolean) ?? sameTurn.get(rec);
    if (match) {
      skipped++;
      const own = new Set([match.gen, ...(Array.isArray(match.msg_ids) ? match.msg_ids : [])]);
      const more = ids.filter((x) => !own.has(x) && !known.has(x));
      if (more.length) { // the export's other ids of this reply now name the stored record too
        match.msg_ids = [...own].filter((x) => x !== match.gen).concat(more).slice(0, MAX_MSG_IDS);
        for (const x of more) known.set(x, match);
        changed = true;
      }
      const prev = canonical(rec.prev_gen);
      if (match.prev_gen === null && typeof prev === "string" && prev !== match.gen) {
        match.prev_gen = prev; // recorded with nothing on screen before it: the export knows what was
        touched.add(match.gen);
        changed = true;
      }
      continue;
    }
    rec.prev_gen = canonical(rec.prev_gen);
    doc.exchanges.push(rec);
    for (const x of ids) if (!known.has(x)) known.set(x, rec);
    known.set(rec.gen, rec);
    added.push(rec);
    touched.add(rec.gen);
    changed = true;
    doc.created = doc.created ? Math.min(doc.created, rec.time) : rec.time;
    doc.updated = Math.max(doc.updated || 0, rec.time);
  }
  // records naming a predecessor by another message id of its reply (ChatGPT: a reply whose prompt
  // was not mounted on the page) name it by its gen, so that their chain reaches it
  for (const r of doc.exchanges) {
    const prev = canonical(r.prev_gen);
    if (prev !== r.prev_gen && prev !== r.gen) {
      r.prev_gen = prev;
      touched.add(r.gen);
      changed = true;
    }
  }
  if (title && !doc.title) {
    doc.title = title;
    changed = true;
  }
  const { marked } = touched.size ? afterChainChange(doc, [...touched]) : { marked: 0 };
  return { added, skipped, marked, changed };
}
