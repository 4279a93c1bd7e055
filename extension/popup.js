// The popup: totals, conversations, insights, settings, export and "how it's computed".
// Shows the stored aggregates first (lib/store.js: the index and the day shards of the last 14 days,
// a few kB whatever the number of records), then the newest conversations' sums (more on request),
// reads a conversation's records when it is opened and all of them only to export; asks the
// service worker for pycore's equivalents and info. Every string from a page (titles, model
// labels, ids) goes through textContent or an attribute, never through HTML.
import {
  CONVS_PREFIX, DAYS_PREFIX, DEFAULT_SETTINGS, IMPACT_FIELDS, INDEX_KEY, PLATFORMS, buildIndex, checkAll,
  checkDocument, convKey, conversationList, getSettings, impactKey, impactSettings, isValidConvShard,
  isValidDayShard, isValidIndex, recentDays, summariseTotals,
} from "./lib/store.js";
import { APPLIED_KEY, PROGRESS_KEY } from "./lib/recompute.js";
import { compact, count, energy, energyRange, mass, num, volume } from "./lib/format.js";
import { SITES, SITE_BY_ID } from "./lib/sites.js";

const PLATFORM_NAMES = Object.fromEntries(SITES.map((s) => [s.id, s.name]));
const SVG = "http://www.w3.org/2000/svg";
let current = null; // last summary, for insights and export
const LIST_STEP = 100; // conversations listed at first, and added by "Show more"
let listed = LIST_STEP;

// -- small DOM helpers (textContent only) ---------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role" || k === "title" || k === "scope") {
      node.setAttribute(k, String(v));
    } else node[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

function plural(n, word) {
  return `${count(n)} ${word}${n === 1 ? "" : "s"}`;
}

const DAY_LABEL = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric" });

/** "Nov 24" for a dayKey "2026-11-24" (local calendar day). */
function dayLabel(day) {
  const [y, m, d] = day.split("-").map(Number);
  return DAY_LABEL.format(new Date(y, m - 1, d));
}

function send(type, data) {
  return chrome.runtime.sendMessage({ target: "background", type, data }).then((r) => {
    if (!r || !r.ok) throw new Error(r ? r.error : "no reply");
    return r.value;
  });
}

// -- overview ------------------------------------------------------------------------------------

function card(id, t) {
  const body = document.querySelector(`#${id} .body`);
  if (!t.exchanges) {
    body.replaceChildren(el("div", { class: "big", text: energy(0) }),
      el("div", { class: "small", text: "No exchanges" }));
    return;
  }
  body.replaceChildren(
    el("div", { class: "big", text: energy(t.wall_wh) }),
    el("div", { class: "range", text: energyRange(t.wall_wh_low, t.wall_wh_high), title: "Range of the estimate" }),
    el("div", { class: "small", text: `${mass(t.co2_g)} CO₂`, title: "CO₂ of the electricity used (location-based)" }),
    el("div", { class: "small", text: `+ ${mass(t.embodied_co2_g)} made`,
                title: "Embodied CO₂: manufacturing of the GPUs and servers, by the share of their life used "
                  + `(${mass(t.embodied_co2_g_low)}–${mass(t.embodied_co2_g_high)})` }),
    el("div", { class: "small", text: `${volume(t.water_ml)} water`,
                title: "Cooling water on site plus water used to generate the electricity "
                  + `(${volume(t.water_ml_low)}–${volume(t.water_ml_high)})` }),
    el("div", { class: "small", text: plural(t.exchanges, "exchange") }),
    // one line each: "1.44M in / 113K out tokens" wraps mid-phrase in a third of the popup
    el("div", { class: "small", text: `${compact(t.input_tokens)} tokens in`,
                title: `${count(t.input_tokens)} input tokens` }),
    el("div", { class: "small", text: `${compact(t.output_tokens)} tokens out`,
                title: `${count(t.output_tokens)} output tokens` }),
  );
}

function renderTotals(s) {
  card("card-today", s.totals.today);
  card("card-week", s.totals.week);
  card("card-all", s.totals.all);
  const all = s.totals.all;
  const totals = document.querySelector("[data-testid='totals']");
  totals.dataset.energyWh = String(all.energy_wh);
  totals.dataset.wallWh = String(all.wall_wh);
  totals.dataset.co2G = String(all.co2_g);
  totals.dataset.waterMl = String(all.water_ml);
  totals.dataset.embodiedCo2G = String(all.embodied_co2_g);
  totals.dataset.exchanges = String(all.exchanges);
  totals.dataset.inputTokens = String(all.input_tokens);
  totals.dataset.outputTokens = String(all.output_tokens);
  const tags = document.getElementById("platform-tags");
  tags.replaceChildren(...PLATFORMS.filter((p) => s.platforms[p]).map((p) => el("li", {
    class: "tag", "data-platform": p,
    text: `${PLATFORM_NAMES[p]} · ${plural(s.platforms[p].exchanges, "exchange")}`
      + ` · ${energy(s.platforms[p].wall_wh)}`,
  })));
}

/** The chart's text: what a screen reader reads for it, and a line under it for everyone. */
function chartSummary(daily) {
  const used = daily.filter((d) => d.exchanges > 0);
  if (!used.length) return `No exchanges in the last ${daily.length} days.`;
  const peak = used.reduce((a, d) => (d.wall_wh > a.wall_wh ? d : a));
  const sum = used.reduce((a, d) => a + d.wall_wh, 0);
  return `${energy(sum)} over ${used.length} of ${daily.length} days with exchanges; `
    + `highest ${energy(peak.wall_wh)} on ${dayLabel(peak.day)}.`;
}

function renderChart(daily) {
  const w = 396, h = 70, pad = 12, minBar = 2; // a day with any use stays visible next to a huge one
  const max = Math.max(...daily.map((d) => d.wall_wh), 0);
  const root = svg("svg", { viewBox: `0 0 ${w} ${h}`, role: "img", "aria-labelledby": "chart-caption",
                            "aria-describedby": "chart-summary" });
  const bw = (w - 4) / daily.length;
  daily.forEach((d, i) => {
    const scaled = max > 0 ? ((h - pad - 2) * d.wall_wh) / max : 0;
    const bh = d.exchanges > 0 ? Math.max(minBar, scaled) : 0;
    const bar = svg("rect", { class: "bar", x: 2 + i * bw + 1, y: h - pad - bh, width: Math.max(1, bw - 2), height: bh });
    const title = svg("title");
    title.textContent = `${dayLabel(d.day)}: ${energy(d.wall_wh)}, ${plural(d.exchanges, "exchange")}`;
    bar.append(title);
    root.append(bar);
    if (i === 0 || i === daily.length - 1) {
      const label = svg("text", { x: 2 + i * bw + (i === 0 ? 0 : bw), y: h - 2, "text-anchor": i === 0 ? "start" : "end" });
      label.textContent = dayLabel(d.day);
      root.append(label);
    }
  });
  root.append(svg("line", { class: "axis", x1: 0, x2: w, y1: h - pad, y2: h - pad }));
  document.getElementById("chart").replaceChildren(root);
  document.getElementById("chart-summary").textContent = chartSummary(daily);
}

async function loadRecords(conv) {
  const key = convKey(conv.platform, conv.conversation_id);
  const raw = (await chrome.storage.local.get(key))[key];
  const checked = raw === undefined ? null : checkDocument(raw, key);
  return checked && checked.doc ? checked.doc.exchanges : [];
}

function detailTable(conv, records) {
  const head = el("tr", {}, ...["#", "When", "Model", "In", "Out", "Wh", "g CO₂"].map((t) => el("th", { scope: "col", text: t })));
  const rows = [...records].sort((a, b) => a.turn_index - b.turn_index || a.time - b.time).map((r) => {
    const imported = r.source === "import";
    const flags = [r.regenerated ? "regenerated" : "", r.reasoning_estimated ? "reasoning estimated" : "",
                   r.model.is_fallback ? "model not recognised: fallback" : "",
                   imported ? `imported from a ${PLATFORM_NAMES[conv.platform]} export` : ""].filter(Boolean).join(", ");
    const model = `${r.model_label || "(default)"} → ${r.model.label}`;
    const when = new Date(r.time).toLocaleString([], { dateStyle: "short", timeStyle: "short" });
    return el("tr", { "data-testid": "exchange", "data-turn-index": r.turn_index,
                      "data-regenerated": String(r.regenerated), "data-source": imported ? "import" : "live" },
      el("td", { text: `${r.turn_index + 1}${r.regenerated ? "↻" : ""}`, title: flags || null }),
      // the date of the export's message; "imported" is read with it (a title alone is not)
      el("td", {}, when, imported ? el("span", { class: "imported", text: "imported" }) : null),
      el("td", { class: "model", text: model, title: model }),
      el("td", { text: count(r.input_tokens) }),
      el("td", { text: count(r.output_tokens),
                 title: r.reasoning_tokens ? `${count(r.reasoning_tokens)} reasoning` : null }),
      el("td", { text: num(r.wall_wh),
                 title: `${energyRange(r.wall_wh_low, r.wall_wh_high)} (GPU ${energy(r.energy_wh)})` }),
      el("td", { text: num(r.co2_g), title: `${mass(r.co2_g)} CO₂ of use`
        + (r.embodied_co2_g !== undefined ? `, + ${mass(r.embodied_co2_g)} embodied` : "")
        + (r.water_ml !== undefined ? `; ${volume(r.water_ml)} water` : "") }),
    );
  });
  return el("table", { class: "detail", "aria-label": "Exchanges of this conversation, by turn" },
    el("thead", {}, head), el("tbody", {}, ...rows));
}

/** Water and embodied CO2 of a conversation, each with its range and boundary, in one line each. */
function impactLines(records) {
  const sum = (f) => records.reduce((a, r) => a + (r[f] ?? 0), 0);
  const t = Object.fromEntries(IMPACT_FIELDS.map((f) => [f, sum(f)]));
  const co2 = sum("co2_g");
  return el("div", { class: "impacts", "data-testid": "conversation-impacts", "data-water-ml": t.water_ml,
                     "data-embodied-co2-g": t.embodied_co2_g },
    el("p", { class: "small", text: `Water ${volume(t.water_ml)} (${volume(t.water_ml_low)}–${volume(t.water_ml_high)}): `
      + `${volume(t.water_onsite_ml)} cooling on site + ${volume(t.water_offsite_ml)} to generate the electricity.` }),
    el("p", { class: "small", text: `CO₂ ${mass(co2)} of use + ${mass(t.embodied_co2_g)} embodied `
      + `(${mass(t.embodied_co2_g_low)}–${mass(t.embodied_co2_g_high)}, making the hardware) = ${mass(co2 + t.embodied_co2_g)}.` }));
}

/** The lighter choice: the same exchanges with the site's lightest other label (the compare op). */
async function lighterChoice(platform, records, box) {
  try {
    const settings = impactSettings(await getSettings());
    const out = await send("py", { op: "compare", ...settings, records: records.map((r) => ({
      platform, model_label: r.model_label ?? null, prompt_tokens: r.prompt_tokens, reply_tokens: r.reply_tokens,
      reasoning_tokens: r.reasoning_tokens, reasoning_estimated: Boolean(r.reasoning_estimated),
      reasoning_seconds: r.reasoning_seconds ?? null, turn_index: r.turn_index, context_tokens: r.context_tokens ?? 0,
    })) });
    if (!out.ok) throw new Error(out.errors.map((e) => e.message).join("; "));
    const { used, alternatives } = out.value;
    const best = alternatives[0];
    if (!best || !(used.wall_wh > 0)) { box.textContent = ""; return; }
    const pct = Math.round((best.wall_wh / used.wall_wh - 1) * 100);
    box.dataset.label = best.label;
    box.dataset.wallWh = String(best.wall_wh);
    box.textContent = `Lighter choice: with ${best.label}, ~${energy(best.wall_wh)}, ${pct > 0 ? "+" : pct < 0 ? "−" : "±"}${Math.abs(pct)}%`
      + `${best.note ? ` (${best.note})` : ""}. Energy only: answer quality not compared.`;
  } catch (err) {
    box.textContent = `Could not compare with the other labels: ${err.message}`;
  }
}

/** The newest `listed` conversations; `more`: whether older ones are not shown. */
function renderConversations(list, more) {
  const ul = document.getElementById("conversations");
  const empty = document.getElementById("empty");
  empty.hidden = list.length > 0;
  // the supported sites come from the registry (lib/sites.js)
  empty.textContent = `Nothing recorded yet. Open a conversation on ${SITES.map((s) => s.name).join(", ")}.`;
  const button = document.getElementById("more-conversations");
  button.hidden = !more;
  // a refresh (new records arriving) keeps open conversations open
  const open = new Set([...ul.querySelectorAll("li > details[open]")].map((d) => d.parentElement.dataset.key));
  ul.replaceChildren(...list.map((c) => {
    const key = `${c.platform}:${c.conversation_id}`;
    const figures = [plural(c.exchanges, "exchange"), `${compact(c.input_tokens + c.output_tokens)} tokens`,
                     energy(c.wall_wh), `${mass(c.co2_g)} CO₂`].join(" · ");
    const details = el("details", { open: open.has(key) },
      el("summary", {},
        el("span", { class: "tag", "data-platform": c.platform, text: PLATFORM_NAMES[c.platform] }),
        el("span", { class: "title", text: c.title || c.conversation_id, title: c.title || c.conversation_id }),
        el("span", { class: "num", text: figures }),
      ));
    const fill = async () => {
      if (details.dataset.filled) return;
      details.dataset.filled = "1";
      const records = await loadRecords(c);
      const lighter = el("p", { class: "small lighter", "data-testid": "lighter-choice", role: "status" });
      details.append(impactLines(records), lighter, detailTable(c, records));
      if (records.length) lighterChoice(c.platform, records, lighter);
    };
    details.addEventListener("toggle", () => { if (details.open) fill(); });
    if (details.open) fill();
    return el("li", {
      "data-key": key, "data-testid": "conversation", "data-platform": c.platform, "data-conversation-id": c.conversation_id,
      "data-exchanges": c.exchanges, "data-input-tokens": c.input_tokens, "data-output-tokens": c.output_tokens,
      "data-energy-wh": c.energy_wh, "data-wall-wh": c.wall_wh, "data-co2-g": c.co2_g,
      "data-water-ml": c.water_ml, "data-embodied-co2-g": c.embodied_co2_g,
    }, details);
  }));
}

function renderNotices(skipped, sites, problems) {
  const storage = document.querySelector("[data-testid='storage-notice']");
  const bad = (skipped.docs || 0) + (skipped.records || 0);
  const parts = [];
  if (bad) parts.push(`${bad} damaged stored record${bad > 1 ? "s were" : " was"} skipped.`);
  if (skipped.newer) parts.push(`${skipped.newer} conversation${skipped.newer > 1 ? "s were" : " was"} saved by a newer PromptWatt and not shown.`);
  storage.textContent = parts.join(" ");
  storage.hidden = !parts.length;
  storage.dataset.skipped = String(bad);

  const status = document.querySelector("[data-testid='site-status']");
  const unrecognised = PLATFORMS.filter((p) => sites[p] && sites[p].recognised === false);
  status.dataset.unrecognised = unrecognised.join(" ");
  status.hidden = !unrecognised.length;
  status.replaceChildren(
    el("span", { text: "Page layout not recognised (nothing is recorded there until an update):" }),
    el("ul", {}, ...unrecognised.map((p) => el("li", { "data-platform": p, text: `${PLATFORM_NAMES[p]} (${sites[p].host || SITE_BY_ID[p].hosts[0]})` }))),
  );

  const prob = document.querySelector("[data-testid='problems']");
  prob.hidden = !problems.length;
  prob.replaceChildren(el("span", { text: `${problems.length} exchange${problems.length > 1 ? "s" : ""} could not be estimated.` }),
    el("ul", {}, ...problems.slice(-3).map((p) => el("li", { text: `${p.code}: ${p.message}` }))));
}

/**
 * While the service worker recomputes the records for new settings (lib/recompute.js), says so:
 * until then the totals add records of the earlier settings to those already recomputed. Returns whether one is under way.
 */
function renderRecompute(settings, applied, progress) {
  const box = document.querySelector("[data-testid='recompute-status']");
  const key = impactKey({ ...DEFAULT_SETTINGS, ...(settings || {}) });
  const running = applied !== key;
  box.hidden = !running;
  box.dataset.running = String(running);
  const counts = running && progress && progress.key === key && progress.total > 0
    ? ` (${count(progress.done)} of ${count(progress.total)})` : "";
  box.textContent = running ? `Recomputing recorded exchanges for the new settings${counts}… `
    + "Until this finishes, the totals below mix the earlier settings and the new ones." : "";
  return running;
}

let nudged = false;

/**
 * The stored index and the day shards of the last 14 days (one read, a few kB), or aggregates built
 * here from every record when they are missing or damaged (the worker is asked to store them).
 */
async function readTotals(keys) {
  const months = [...new Set(recentDays().map((d) => d.slice(0, 7)))];
  const stored = await chrome.storage.local.get([...keys, INDEX_KEY, ...months.map((m) => DAYS_PREFIX + m)]);
  const index = stored[INDEX_KEY];
  const ok = isValidIndex(index) && months.every((m) => !index.months[m] || isValidDayShard(stored[DAYS_PREFIX + m]));
  if (ok) return { stored, items: stored, full: false };
  send("reindex").catch(() => {});
  return { stored, items: buildIndex(checkAll(await chrome.storage.local.get(null))), full: true };
}

/**
 * The newest `n` conversation summaries: the conversation shards read newest month first until they
 * hold `n` (a conversation's shard is its latest record's month). Returns {list, more}.
 */
async function readConversations(items, full, n) {
  const months = Object.keys(items[INDEX_KEY].months).sort().reverse();
  const got = {};
  let count = 0, i = 0;
  while (i < months.length && count < n) {
    const keys = months.slice(i, i += 6).map((m) => CONVS_PREFIX + m);
    const shards = full ? items : await chrome.storage.local.get(keys);
    for (const k of keys) {
      const shard = isValidConvShard(shards[k]) ? shards[k] : {};
      got[k] = shard;
      count += Object.keys(shard).length;
    }
  }
  const list = conversationList(got);
  return { list: list.slice(0, n), more: list.length > n || i < months.length };
}

async function refresh() {
  const keys = ["sites", "problems", "settings", APPLIED_KEY, PROGRESS_KEY];
  const { stored, items, full } = await readTotals(keys);
  if (renderRecompute(stored.settings, stored[APPLIED_KEY], stored[PROGRESS_KEY]) && !nudged) {
    nudged = true; // a worker stopped mid-way resumes on its next start; this starts it now
    send("recompute").catch(() => {});
  }
  current = summariseTotals(items);
  renderTotals(current);
  document.body.dataset.totalsRendered = String(performance.now());
  renderNotices(current.skipped, stored.sites || {}, Array.isArray(stored.problems) ? stored.problems : []);
  renderChart(current.daily);
  if (!document.getElementById("panel-insights").hidden) renderInsights();
  const { list, more } = await readConversations(items, full, listed);
  renderConversations(list, more);
}

let refreshTimer = null;
chrome.storage.onChanged.addListener((_changes, area) => {
  if (area !== "local") return;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 100);
});

// -- insights ------------------------------------------------------------------------------------

let insightsAsked = 0; // a reply for an earlier period (or earlier totals) must not overwrite a later one

async function renderInsights() {
  if (!current) return;
  const asked = ++insightsAsked;
  const period = document.getElementById("insight-period").value;
  const t = current.totals[period];
  const list = document.getElementById("equivalents");
  const summary = document.getElementById("insight-summary");
  if (!t.exchanges) {
    summary.textContent = "No exchanges recorded in this period yet.";
    list.replaceChildren();
    return;
  }
  summary.textContent = `${energy(t.wall_wh)} (${energyRange(t.wall_wh_low, t.wall_wh_high)}),`
    + ` ${mass(t.co2_g)} CO₂ (+ ${mass(t.embodied_co2_g)} embodied) and ${volume(t.water_ml)} of water`
    + ` over ${plural(t.exchanges, "exchange")} is about:`;
  list.replaceChildren(el("li", { text: "Computing…" }));
  try {
    const out = await send("py", { op: "equivalents", wh: t.wall_wh, co2_g: t.co2_g, water_ml: t.water_ml });
    if (!out.ok) throw new Error(out.errors.map((e) => e.message).join("; "));
    if (asked !== insightsAsked) return;
    list.replaceChildren(...out.value.map((e) => el("li", { "data-key": e.key },
      el("strong", { text: num(e.value) }), ` ${e.label}`,
      el("span", { class: "src", text: `Source: ${e.source}` }))));
  } catch (err) {
    if (asked !== insightsAsked) return;
    list.replaceChildren(el("li", { text: `Could not compute equivalents: ${err.message}` }));
  }
}

// -- settings ------------------------------------------------------------------------------------

async function loadSettingsForm() {
  const [settings, regions] = await Promise.all([getSettings(), fetch("data/regions.json").then((r) => r.json())]);
  const select = document.getElementById("region");
  select.replaceChildren(el("option", { value: "", text: "Provider's data-centre region (default)" }),
    ...regions.map((r) => el("option", { value: r.iso, text: `${r.country} (${r.iso}) — ${r.g_co2_per_kwh} g/kWh, ${r.year}` })));
  select.value = settings.region || "";
  document.getElementById("grid").value = settings.grid_g_per_kwh ?? "";
  document.getElementById("pue").value = settings.pue ?? "";
  document.getElementById("wue").value = settings.wue ?? "";
  document.getElementById("badges").checked = settings.badges !== false;
}

async function saveSettings(event) {
  event.preventDefault();
  const grid = document.getElementById("grid");
  const pue = document.getElementById("pue");
  const wue = document.getElementById("wue");
  const out = document.getElementById("settings-saved");
  if (!grid.checkValidity() || !pue.checkValidity() || !wue.checkValidity()) {
    out.textContent = "Check the values: grid 0–2000 g/kWh, PUE 1.0–3.0, WUE 0–20 L/kWh. Nothing was saved.";
    return;
  }
  const settings = {
    region: document.getElementById("region").value || null,
    grid_g_per_kwh: grid.value === "" ? null : Number(grid.value),
    pue: pue.value === "" ? null : Number(pue.value),
    wue: wue.value === "" ? null : Number(wue.value),
    badges: document.getElementById("badges").checked,
  };
  // the service worker writes them and starts the recompute (background.js setOptions)
  const done = await chrome.runtime.sendMessage({ target: "background", type: "options", data: { settings } })
    .catch((err) => ({ ok: false, error: String(err && err.message ? err.message : err) }));
  out.textContent = done && done.ok
    ? "Saved. Recorded exchanges are recomputed with these settings (see Overview)."
    : `Not saved: ${(done && done.error) || "the extension did not answer"}. Try again.`;
}

// -- about ---------------------------------------------------------------------------------------

const METRIC_NAMES = {
  lomo_mape: "Error on unseen models (MAPE, %)", lomo_r2: "R² on unseen models", lomo_rmse: "RMSE on unseen models",
  lomo_mae: "MAE on unseen models", cv_mape: "Cross-validated error (MAPE, %)", cv_r2: "Cross-validated R²",
};

async function renderAbout() {
  const box = document.getElementById("about");
  if (box.dataset.loaded) return;
  try {
    const out = await send("py", { op: "info" });
    if (!out.ok) throw new Error(out.errors.map((e) => e.message).join("; "));
    const v = out.value;
    const so = v.server_overhead;
    const metrics = Object.entries(v.metrics || {}).filter(([, x]) => typeof x === "number");
    box.replaceChildren(
      el("p", { text: "Each finished reply is tokenised on your machine with the model family's tokenizer. "
        + "The prompt's input is the product's fixed overhead plus the whole conversation so far (a chat model "
        + "re-reads it every turn); output is the reply plus its reasoning (hidden reasoning is estimated from the "
        + "'Thought for …' time). A model trained on real GPU energy measurements predicts the GPU energy of that "
        + "request on the hardware the provider is assumed to use; the range spans the model-size and prediction "
        + "uncertainty. Wall energy adds the rest of the server and the data centre's PUE; CO₂ multiplies it by "
        + "the grid's carbon intensity. Text never leaves your browser and is dropped once counted." }),
      el("h3", { text: "Versions" }),
      el("dl", {}, el("dt", { text: "pycore" }), el("dd", { text: String(v.pycore_version) }),
        el("dt", { text: "Energy model" }), el("dd", { text: `${v.model_name || ""} ${v.model_version}` })),
      el("h3", { text: "Validation metrics" }),
      el("dl", {}, ...metrics.flatMap(([k, x]) => [el("dt", { text: METRIC_NAMES[k] || k, title: k }),
                                                    el("dd", { text: num(x, true) })])),
      el("h3", { text: "Rest-of-server overhead" }),
      el("p", { text: `${num(so.value[1])}× GPU energy (range ${num(so.value[0])}–${num(so.value[2])}).` }),
      el("ul", {}, ...so.sources.map((s) => el("li", { class: "about-src", text: s.filter(Boolean).join(" — ") }))),
      ...aboutImpacts(v),
      el("h3", { text: "Per-request token overhead" }),
      el("dl", {}, ...Object.entries(v.platforms).flatMap(([p, x]) => [
        el("dt", { text: PLATFORM_NAMES[p] || p }), el("dd", { text: `${count(x.overhead_tokens)} tokens` })])),
    );
    box.dataset.loaded = "1";
  } catch (err) {
    box.replaceChildren(el("p", { text: `Could not load the model information: ${err.message}` }));
  }
}

function range3(x, unit) {
  return `${num(x.central)} ${unit} (${num(x.low)}–${num(x.high)})`;
}

/** "How it's computed": water, embodied CO2 and the providers' own figures next to ours, with sources. */
function aboutImpacts(v) {
  const src = (sources) => el("ul", {}, ...sources.map((s) => el("li", { class: "about-src", text: s.filter(Boolean).join(" — ") })));
  const b = v.boundaries || {};
  const out = [
    el("h3", { text: "Water" }),
    el("p", { text: `${b.water_onsite_ml || ""}; ${b.water_offsite_ml || ""}. On-site water use per IT kWh (WUE):` }),
    el("dl", {}, ...Object.entries(v.water.wue).flatMap(([p, x]) => [
      el("dt", { text: p }), el("dd", { text: range3(x.value, "L/kWh") }, src(x.sources))])),
    el("p", { text: `Off-site water factor of the grid × ${range3(v.water.offsite_scale.value, "")}` }),
    src(v.water.offsite_scale.sources),
    el("h3", { text: "Embodied CO₂" }),
    el("p", { text: b.embodied_co2_g || "" }),
    el("dl", {}, ...[["lifetime_years", "Lifetime, years"], ["utilisation", "Utilisation"],
                     ["host_server_kg", "Host server, kg CO₂e per 8 GPUs"]].flatMap(([k, label]) => [
      el("dt", { text: label }), el("dd", { text: range3(v.embodied[k].value, "") }, src(v.embodied[k].sources))])),
    el("h3", { text: "The providers' own figures, on the same boundary" }),
  ];
  const list = el("ul", { "data-testid": "disclosures" });
  for (const d of v.disclosures) {
    list.append(el("li", { "data-id": d.id },
      el("strong", { text: `${d.who}: ${d.what} (${d.date})` }),
      el("p", { class: "small", text: `Scope: ${d.scope}` }),
      el("ul", {}, ...d.figures.map((f) => el("li", { text: `${f.quantity}: published ${num(f.published)} ${f.unit}; `
        + `PromptWatt ${num(f.ours)} (${num(f.ours_low)}–${num(f.ours_high)}) ${f.unit} [${f.boundary}]` }))),
      el("p", { class: "small", text: `Compared with: ${d.compared_with}` }),
      el("ul", {}, ...d.differences.map((x) => el("li", { class: "small", text: x }))),
      el("p", { class: "about-src", text: `Source: ${d.source}` })));
  }
  out.push(list);
  return out;
}

// -- export / clear --------------------------------------------------------------------------------

const CSV_FIELDS = ["platform", "conversation_id", "title", "turn_index", "regenerated", "time", "model_label",
  "model", "model_is_fallback", "input_tokens", "output_tokens", "reasoning_tokens", "reasoning_estimated",
  "energy_wh", "energy_wh_low", "energy_wh_high", "wall_wh", "wall_wh_low", "wall_wh_high",
  "co2_g", "co2_g_low", "co2_g_high", ...IMPACT_FIELDS, "region", "grid_g_per_kwh", "pue", "wue", "model_version",
  "source"];

function csvCell(v) {
  let s = v === null || v === undefined ? "" : String(v);
  if (/^[=+\-@\t\r]/.test(s) && typeof v === "string") s = `'${s}`; // no formulas in spreadsheets
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function allDocs() {
  const { docs } = checkAll(await chrome.storage.local.get(null));
  return docs.sort((a, b) => b.updated - a.updated);
}

async function exportRows() {
  const rows = [];
  for (const c of await allDocs()) {
    for (const r of c.exchanges) {
      rows.push({ ...r, platform: c.platform, conversation_id: c.conversation_id, title: c.title,
                  time: new Date(r.time).toISOString(), model: r.model.label, model_is_fallback: r.model.is_fallback,
                  source: r.source === "import" ? "import" : "live" });
    }
  }
  return rows;
}

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function exportCsv() {
  const lines = [CSV_FIELDS.join(",")];
  for (const r of await exportRows()) lines.push(CSV_FIELDS.map((f) => csvCell(r[f])).join(","));
  download("promptwatt.csv", "text/csv", lines.join("\r\n") + "\r\n");
}

async function exportJson() {
  const doc = { exported: new Date().toISOString(), schema_version: 1, conversations: await allDocs() };
  download("promptwatt.json", "application/json", JSON.stringify(doc, null, 1));
}

// -- tabs ----------------------------------------------------------------------------------------

let settingsLoaded = false; // loaded once: coming back to the tab keeps what was typed and not yet saved

function selectTab(tab) {
  for (const t of document.querySelectorAll("[role='tab']")) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
  }
  tab.focus();
  if (tab.id === "tab-insights") renderInsights();
  if (tab.id === "tab-about") renderAbout();
  if (tab.id === "tab-settings" && !settingsLoaded) {
    settingsLoaded = true;
    loadSettingsForm().catch((err) => {
      settingsLoaded = false;
      document.getElementById("settings-saved").textContent = `Could not load the settings: ${err.message}`;
    });
  }
}

function setUp() {
  const tabs = [...document.querySelectorAll("[role='tab']")];
  for (const t of tabs) {
    t.addEventListener("click", () => selectTab(t));
    t.addEventListener("keydown", (e) => {
      const i = tabs.indexOf(t);
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
      if (next === undefined) return;
      e.preventDefault();
      selectTab(tabs[(next + tabs.length) % tabs.length]);
    });
  }
  document.getElementById("insight-period").addEventListener("change", renderInsights);
  document.getElementById("settings-form").addEventListener("submit", saveSettings);
  document.getElementById("export-csv").addEventListener("click", exportCsv);
  document.getElementById("export-json").addEventListener("click", exportJson);
  document.getElementById("more-conversations").addEventListener("click", () => {
    listed += LIST_STEP;
    refresh();
  });
  // a page of its own: the popup closes when the file picker takes the focus
  document.getElementById("open-import").addEventListener("click", () => {
    chrome.tabs.create({ url: chrome.runtime.getURL("import.html") }).then(() => window.close(), () => {});
  });
  const confirmBox = document.getElementById("confirm");
  const clear = document.getElementById("clear");
  const confirmError = document.getElementById("confirm-error");
  const closeConfirm = () => { // focus goes back where it came from, never to the hidden box (lost)
    confirmBox.hidden = true;
    clear.setAttribute("aria-expanded", "false");
    clear.focus();
  };
  clear.addEventListener("click", () => {
    confirmError.textContent = "";
    confirmBox.hidden = false;
    clear.setAttribute("aria-expanded", "true");
    document.getElementById("confirm-no").focus();
  });
  document.getElementById("confirm-no").addEventListener("click", closeConfirm);
  confirmBox.addEventListener("keydown", (e) => { if (e.key === "Escape") closeConfirm(); });
  document.getElementById("confirm-yes").addEventListener("click", async () => {
    try {
      await send("clear");
    } catch (err) { // nothing was deleted: say so and leave the box open to try again
      confirmError.textContent = `Could not delete the data: ${err.message}`;
      return;
    }
    closeConfirm();
    await refresh();
  });
}

setUp();
refresh();
