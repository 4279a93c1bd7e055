// Stored records: one document per conversation in chrome.storage.local, holding its exchanges.
//
// Key "conv:<platform>:<conversation id>" -> {v, platform, conversation_id, title, created, updated,
// exchanges: [record]}. A record holds counts and energies only, never text. Documents carry a
// schema version; MIGRATIONS upgrades older ones, newer ones are skipped (never rewritten), and
// anything malformed is skipped and counted so the popup can say so. Nothing here throws on bad
// data. The functions below the "pure" line take plain objects so the popup, the service worker
// and the tests share them.
//
// Key "index" holds what the popup shows first (per-conversation and per-day sums, and how many
// stored records were found damaged), so opening it reads ~100 kB instead of every record. The
// service worker writes a record and the index in one storage call, and rebuilds the index from
// the validated records at browser start, on install/update and whenever it is missing.
//
// Schema 2 added `prev_gen` to records (lib/chain.js): the generation rendered just before the
// turn when it was recorded, null when none was. Records of schema 1 have no `prev_gen` (unknown).
//
// Schema 3 added `impact_key` to records: impactKey() of the settings (and the extension version,
// whose data files) their wall energy and CO2 were computed with. When the settings change or an
// update ships new data files, lib/recompute.js recomputes every record whose key differs; records
// of schema 2 and older have none, so they are recomputed once too.
//
// Schema 4 added water (on-site, off-site and their sum, mL) and embodied CO2 (g), each with its range
// (IMPACT_FIELDS), computed by the same impact op as wall energy and CO2. Records of schema 3 and older
// have none: the migration drops their impact_key, so lib/recompute.js recomputes them once (from their
// GPU energy) and they gain the new figures. Until then the fields are absent and count as 0 in sums.
//
// Two optional record fields need no schema step (absent means "nothing to do", which is what every
// older record is): `reestimate: true` marks a record to be estimated again at the context its
// chain now gives, and `regenerated_of` lists the generations that made a first rendered turn look
// like a regeneration (both lib/reestimate.js).

export const SCHEMA_VERSION = 4;
export const CONV_PREFIX = "conv:";
export const INDEX_KEY = "index";
export const PLATFORMS = ["chatgpt", "gemini", "deepseek"];
export const DEFAULT_SETTINGS = Object.freeze({ region: null, grid_g_per_kwh: null, pue: null, wue: null,
                                                badges: true });
// Water and embodied CO2 of a record (schema 4): what the exchange and impact ops give besides wall and CO2.
export const IMPACT_FIELDS = ["water_ml", "water_ml_low", "water_ml_high", "water_onsite_ml", "water_onsite_ml_low",
  "water_onsite_ml_high", "water_offsite_ml", "water_offsite_ml_low", "water_offsite_ml_high", "embodied_co2_g",
  "embodied_co2_g_low", "embodied_co2_g_high"];

// version n -> function upgrading a version-n document to n + 1. Version 1 is the first shipped
// layout; add an entry here (and bump SCHEMA_VERSION) whenever the record layout changes.
export const MIGRATIONS = {
  // 1 -> 2: records gain an optional prev_gen; older ones keep none, which means "not known"
  // (not null, which would claim that nothing came before them).
  1: (doc) => ({ ...doc, v: 2 }),
  // 2 -> 3: records gain impact_key; older ones keep none, which means "settings not known".
  2: (doc) => ({ ...doc, v: 3 }),
  // 3 -> 4: records gain water and embodied CO2 (IMPACT_FIELDS); dropping impact_key makes the
  // recompute give them those figures once, from their GPU energy, as it does after a settings change.
  3: (doc) => ({ ...doc, v: 4, exchanges: Array.isArray(doc.exchanges) ? doc.exchanges.map((r) => {
    if (!r || typeof r !== "object" || Array.isArray(r)) return r;
    const { impact_key: _dropped, ...rest } = r;
    return rest;
  }) : doc.exchanges }),
};
// Longest generation id kept (the service worker cuts gen and prev_gen to it alike, so links match).
export const MAX_GEN = 300;
export const MAX_WARNINGS = 10; // warnings kept per record
// Latest and earliest time a Date can hold (ms from the epoch): a record's time outside them has no
// calendar day, and the popup's export cannot write it.
export const MAX_TIME = 8.64e15;

const NUMBER_FIELDS = [
  "prompt_tokens", "reply_tokens", "reasoning_tokens", "input_tokens", "output_tokens",
  "energy_wh", "energy_wh_low", "energy_wh_high", "wall_wh", "wall_wh_low", "wall_wh_high",
  "co2_g", "co2_g_low", "co2_g_high",
];

/**
 * The settings that change wall energy and CO2 (never GPU energy), as the exchange and impact ops
 * take them: a region, or a custom grid intensity (which makes the region irrelevant), and a PUE.
 */
export function impactSettings(settings) {
  const out = {};
  const { region, grid_g_per_kwh: grid, pue, wue } = settings;
  if (grid !== null && grid !== undefined) out.grid_g_per_kwh = grid;
  else if (region) out.region = region;
  if (pue !== null && pue !== undefined) out.pue = pue;
  if (wue !== null && wue !== undefined) out.wue = wue;
  return out;
}

/**
 * The extension version whose data files (grid intensities, PUE and overhead ranges, bundled with
 * pycore) computed a record. An update may change those files, so it is part of the key: every
 * record is recomputed once after an update. Empty outside the extension (node tests).
 */
export function dataVersion() {
  const manifest = globalThis.chrome && chrome.runtime && chrome.runtime.getManifest && chrome.runtime.getManifest();
  return manifest && typeof manifest.version === "string" ? manifest.version : "";
}

/** Which settings and data files a record's wall energy and CO2 were computed with, as one comparable string. */
export function impactKey(settings, version = dataVersion()) {
  const s = impactSettings(settings);
  return JSON.stringify([s.region ?? null, s.grid_g_per_kwh ?? null, s.pue ?? null, s.wue ?? null, version]);
}

export function convKey(platform, conversationId) {
  return `${CONV_PREFIX}${platform}:${conversationId}`;
}

// -- chrome.storage wrappers -------------------------------------------------------------------

export async function getSettings() {
  const { settings } = await chrome.storage.local.get("settings");
  return { ...DEFAULT_SETTINGS, ...(settings && typeof settings === "object" ? settings : {}) };
}

/**
 * The stored conversation (damaged records left out), a new one if there is none or it is
 * unreadable, or null if a newer PromptWatt wrote it (never overwritten by an older one).
 */
export async function loadConversation(platform, conversationId) {
  const key = convKey(platform, conversationId);
  const doc = (await chrome.storage.local.get(key))[key];
  const checked = doc === undefined ? null : checkDocument(doc, key);
  if (checked && checked.newer) return null;
  if (checked && checked.doc) return checked.doc;
  return newDocument(platform, conversationId);
}

/** The stored index, or one rebuilt from the validated records if it is missing or damaged. */
export async function loadIndex() {
  const raw = (await chrome.storage.local.get(INDEX_KEY))[INDEX_KEY];
  return isValidIndex(raw) ? raw : buildIndex(await loadAll());
}

/**
 * The storage items that write these documents (as loadConversation gave them: without their damaged
 * records). The damaged records stored with each are kept, as the recompute and the re-estimate keep
 * them: a new record never deletes what the popup reported as skipped. Call it under the storage lock.
 */
export async function conversationItems(docs) {
  const keys = docs.map((d) => convKey(d.platform, d.conversation_id));
  const raw = await chrome.storage.local.get(keys);
  return Object.fromEntries(docs.map((d, i) => {
    const stored = raw[keys[i]];
    const readable = stored !== undefined && checkDocument(stored, keys[i]).doc; // else it is replaced whole
    const damaged = readable ? stored.exchanges.filter((r) => !isValidRecord(r)) : [];
    return [keys[i], damaged.length ? { ...d, exchanges: [...d.exchanges, ...damaged] } : d];
  }));
}

/** Writes a conversation and the index in one storage call, so they cannot disagree. */
export async function saveConversation(doc, index) {
  await chrome.storage.local.set({ ...(await conversationItems([doc])), [INDEX_KEY]: index });
}

/** Every stored conversation, validated: {docs, skippedDocs, skippedRecords, newer}. */
export async function loadAll() {
  return checkAll(await chrome.storage.local.get(null));
}

/** Upgrades every stored document in place (run on install/update). Returns the number changed. */
export async function migrateStored() {
  const all = await chrome.storage.local.get(null);
  const changed = {};
  for (const [key, doc] of Object.entries(all)) {
    if (!key.startsWith(CONV_PREFIX) || !doc || typeof doc !== "object") continue;
    if (Number.isInteger(doc.v) && doc.v < SCHEMA_VERSION) {
      const up = migrate(doc);
      if (up) changed[key] = up;
    }
  }
  if (Object.keys(changed).length) await chrome.storage.local.set(changed);
  await chrome.storage.local.set({ meta: { schema_version: SCHEMA_VERSION } });
  return Object.keys(changed).length;
}

// -- pure --------------------------------------------------------------------------------------

export function newDocument(platform, conversationId) {
  return { v: SCHEMA_VERSION, platform, conversation_id: conversationId, title: "", created: 0, updated: 0,
           exchanges: [] };
}

export function migrate(doc) {
  let d = doc;
  while (Number.isInteger(d.v) && d.v < SCHEMA_VERSION) {
    const step = MIGRATIONS[d.v];
    if (!step) return null;
    d = step(d);
  }
  return d;
}

export function isValidRecord(r) {
  if (!r || typeof r !== "object" || Array.isArray(r)) return false;
  if (typeof r.id !== "string" || typeof r.gen !== "string") return false;
  if (!Number.isInteger(r.turn_index) || r.turn_index < 0) return false;
  if (typeof r.time !== "number" || !(Math.abs(r.time) <= MAX_TIME)) return false;
  // the popup's table and the export read the model the estimate used
  if (!r.model || typeof r.model !== "object" || typeof r.model.label !== "string") return false;
  if (r.prev_gen !== undefined && r.prev_gen !== null
      && (typeof r.prev_gen !== "string" || !r.prev_gen || r.prev_gen.length > MAX_GEN)) return false;
  if (r.impact_key !== undefined && typeof r.impact_key !== "string") return false;
  for (const f of NUMBER_FIELDS) {
    if (typeof r[f] !== "number" || !Number.isFinite(r[f]) || r[f] < 0) return false;
  }
  for (const f of IMPACT_FIELDS) { // absent until a migrated record is recomputed
    if (r[f] !== undefined && (typeof r[f] !== "number" || !Number.isFinite(r[f]) || r[f] < 0)) return false;
  }
  return true;
}

/**
 * {doc, skippedRecords, newer} for one stored value; doc is null when it cannot be used. `key`, where
 * given, is the storage key it was read from: a document naming another conversation is not used (every
 * write goes to the key of the conversation it names, so it would be counted twice or never rewritten).
 */
export function checkDocument(raw, key) {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return { doc: null, skippedRecords: 0, newer: false };
  if (Number.isInteger(raw.v) && raw.v > SCHEMA_VERSION) return { doc: null, skippedRecords: 0, newer: true };
  const doc = Number.isInteger(raw.v) && raw.v < SCHEMA_VERSION ? migrate(raw) : raw;
  if (!doc || doc.v !== SCHEMA_VERSION || !PLATFORMS.includes(doc.platform)
      || typeof doc.conversation_id !== "string" || !Array.isArray(doc.exchanges)
      || (key !== undefined && key !== convKey(doc.platform, doc.conversation_id))) {
    return { doc: null, skippedRecords: 0, newer: false };
  }
  const good = doc.exchanges.filter(isValidRecord);
  const clean = { ...doc, title: typeof doc.title === "string" ? doc.title : "", exchanges: good };
  return { doc: clean, skippedRecords: doc.exchanges.length - good.length, newer: false };
}

export function checkAll(storage) {
  const docs = [];
  let skippedDocs = 0, skippedRecords = 0, newer = 0;
  for (const [key, raw] of Object.entries(storage)) {
    if (!key.startsWith(CONV_PREFIX)) continue;
    const c = checkDocument(raw, key);
    if (c.newer) newer += 1;
    else if (!c.doc) skippedDocs += 1;
    else {
      skippedRecords += c.skippedRecords;
      if (c.doc.exchanges.length) docs.push(c.doc);
    }
  }
  return { docs, skippedDocs, skippedRecords, newer };
}

/**
 * Tokens of the conversation before turn k by position: prompt + reply of the latest generation of
 * each earlier turn index (records in `skip` left out). lib/chain.js falls back to it where the
 * chain of generations is not known.
 */
export function contextTokens(doc, turnIndex, skip = null) {
  const latest = new Map();
  for (const r of doc.exchanges) {
    if (r.turn_index >= turnIndex || (skip && skip.has(r))) continue;
    const prev = latest.get(r.turn_index);
    if (!prev || r.time >= prev.time) latest.set(r.turn_index, r);
  }
  let sum = 0;
  for (const r of latest.values()) sum += r.prompt_tokens + r.reply_tokens;
  return sum;
}

const SUM_FIELDS = ["input_tokens", "output_tokens", "energy_wh", "energy_wh_low", "energy_wh_high", "wall_wh",
                    "wall_wh_low", "wall_wh_high", "co2_g", "co2_g_low", "co2_g_high", "water_ml", "water_ml_low",
                    "water_ml_high", "embodied_co2_g", "embodied_co2_g_low", "embodied_co2_g_high"];
const TOTAL_FIELDS = ["exchanges", ...SUM_FIELDS];

function zero() {
  return Object.fromEntries(TOTAL_FIELDS.map((f) => [f, 0]));
}

/** Adds one record to running totals. */
function add(acc, r) {
  acc.exchanges += 1;
  for (const f of SUM_FIELDS) acc[f] += r[f] ?? 0; // water and embodied: absent before a migrated record's recompute
}

/** Adds totals to running totals. */
function addTotals(acc, t) {
  for (const f of TOTAL_FIELDS) acc[f] += t[f];
}

export function dayKey(t) {
  const d = new Date(t);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

// -- index ---------------------------------------------------------------------------------------

export function emptyIndex() {
  return { v: SCHEMA_VERSION, conversations: {}, days: {}, skipped: { docs: 0, records: 0, newer: 0 } };
}

/** Adds one stored record of `doc` to the index (in place). */
export function indexAdd(index, doc, r) {
  const key = convKey(doc.platform, doc.conversation_id);
  const c = index.conversations[key] ??= {
    platform: doc.platform, conversation_id: doc.conversation_id, title: "", updated: 0, ...zero() };
  c.title = doc.title || c.title;
  add(c, r);
  c.updated = Math.max(c.updated, r.time);
  const day = index.days[dayKey(r.time)] ??= {};
  add(day[doc.platform] ??= zero(), r);
  return index;
}

/** The index of validated documents (the result of checkAll). */
export function buildIndex(checked) {
  const index = emptyIndex();
  for (const doc of checked.docs) for (const r of doc.exchanges) indexAdd(index, doc, r);
  index.skipped = { docs: checked.skippedDocs, records: checked.skippedRecords, newer: checked.newer };
  return index;
}

function finiteTotals(t) {
  return t && typeof t === "object" && TOTAL_FIELDS.every((f) => typeof t[f] === "number" && Number.isFinite(t[f]));
}

/** Whether a stored index can be used as is (otherwise it is rebuilt from the records). */
export function isValidIndex(raw) {
  if (!raw || typeof raw !== "object" || raw.v !== SCHEMA_VERSION) return false;
  if (!raw.conversations || typeof raw.conversations !== "object" || !raw.days || typeof raw.days !== "object") return false;
  if (!raw.skipped || typeof raw.skipped !== "object") return false;
  for (const c of Object.values(raw.conversations)) {
    if (!c || !PLATFORMS.includes(c.platform) || typeof c.conversation_id !== "string" || !finiteTotals(c)) return false;
  }
  for (const d of Object.values(raw.days)) {
    if (!d || typeof d !== "object" || !Object.values(d).every(finiteTotals)) return false;
  }
  return true;
}

/** Totals (today, 7 days, all time), per platform, per day and per conversation (newest first). */
export function summariseIndex(index, now = Date.now(), days = 14) {
  const start = new Date(now);
  start.setHours(0, 0, 0, 0);
  const dayList = [];
  for (let i = days - 1; i >= 0; i--) {
    const d = new Date(start);
    d.setDate(d.getDate() - i);
    dayList.push(dayKey(d.getTime()));
  }
  const today = dayList[dayList.length - 1];
  const week = new Set(dayList.slice(-7));
  const totals = { today: zero(), week: zero(), all: zero() };
  const platforms = {};
  for (const [day, byPlatform] of Object.entries(index.days)) {
    for (const [p, t] of Object.entries(byPlatform)) {
      addTotals(totals.all, t);
      addTotals(platforms[p] ??= zero(), t);
      if (week.has(day)) addTotals(totals.week, t);
      if (day === today) addTotals(totals.today, t);
    }
  }
  const daily = dayList.map((day) => {
    const t = zero();
    for (const x of Object.values(index.days[day] || {})) addTotals(t, x);
    return { day, ...t };
  });
  const conversations = Object.values(index.conversations).sort((a, b) => b.updated - a.updated);
  return { totals, platforms, daily, conversations, skipped: index.skipped };
}

/** summariseIndex of the records themselves (what the index must agree with). */
export function summarise(docs, now = Date.now(), days = 14) {
  return summariseIndex(buildIndex({ docs, skippedDocs: 0, skippedRecords: 0, newer: 0 }), now, days);
}
