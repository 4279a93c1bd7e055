// Pure functions of extension/lib/ (store, chain, recompute, reestimate, importer, messages) under Node (no chrome.* needed):
// prints JSON results that test_store.py checks.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

// The extension folder has no package.json saying "module" (Chrome needs none): the modules are
// imported from a copy that has one, so that chain.js can import store.js as it does in Chrome.
const lib = mkdtempSync(join(tmpdir(), "promptwatt-lib-"));
let store, chain, recompute, reestimate, importer, messages;
try {
  cpSync(new URL("../../extension/lib/", import.meta.url), lib, { recursive: true });
  writeFileSync(join(lib, "package.json"), '{"type": "module"}');
  store = await import(pathToFileURL(join(lib, "store.js")).href);
  chain = await import(pathToFileURL(join(lib, "chain.js")).href);
  recompute = await import(pathToFileURL(join(lib, "recompute.js")).href);
  reestimate = await import(pathToFileURL(join(lib, "reestimate.js")).href);
  importer = await import(pathToFileURL(join(lib, "importer.js")).href);
  messages = await import(pathToFileURL(join(lib, "messages.js")).href);
} finally {
  rmSync(lib, { recursive: true, force: true });
}

const rec = (i, turn, time, extra = {}) => ({
  id: `chatgpt:c:${i}`, gen: `g${i}`, turn_index: turn, regenerated: false, time,
  prompt_tokens: 10 * (turn + 1), reply_tokens: 100 * (turn + 1), reasoning_tokens: 0, input_tokens: 50,
  output_tokens: 100, energy_wh: 1, energy_wh_low: 0.5, energy_wh_high: 2, wall_wh: 1.5, wall_wh_low: 0.7,
  wall_wh_high: 3, co2_g: 0.5, co2_g_low: 0.2, co2_g_high: 1, model: { label: "GPT-4o", is_fallback: false }, ...extra,
});
const now = new Date(2026, 10, 26, 15, 0, 0).getTime();
const day = 86400e3;
const doc = { v: 1, platform: "chatgpt", conversation_id: "c", title: "t", exchanges: [
  rec(0, 0, now - 9 * day), rec(1, 1, now - 3 * day), rec(2, 1, now - 1000, { regenerated: true }), rec(3, 2, now - 10),
] };
const other = { v: 1, platform: "gemini", conversation_id: "g", title: "", exchanges: [rec(4, 0, now - 2 * day)] };
const checked = store.checkAll({
  "conv:chatgpt:c": doc, "conv:gemini:g": other, "conv:deepseek:bad": { v: 1, platform: "deepseek" },
  "conv:gemini:broken": { ...other, conversation_id: "broken",
                          exchanges: [rec(5, 0, now, { energy_wh: -1 }), rec(6, 0, now, { co2_g: NaN }), "x"] },
  // a readable document under another conversation's key: not used (it would be counted twice)
  "conv:chatgpt:elsewhere": { ...doc, conversation_id: "c" },
  "conv:chatgpt:future": { v: 7 }, settings: { badges: true },
});
const s = store.summarise(checked.docs, now, 14);
const index = store.buildIndex(checked);
const fromIndex = store.summariseIndex(JSON.parse(JSON.stringify(index)), now, 14);
// -- the chain of generations (lib/chain.js) --------------------------------------------------------
// link(gen, prev, turn, tokens): a record with prompt + reply = tokens; prev undefined = schema 1 (none)
const link = (gen, prev, turn, tokens, time = turn) => {
  const r = rec(0, turn, time, { id: `gemini:k:${gen}`, gen, prompt_tokens: tokens, reply_tokens: 0 });
  return prev === undefined ? r : { ...r, prev_gen: prev };
};
const conv = (...exchanges) => ({ v: 2, platform: "gemini", conversation_id: "k", title: "", exchanges });
const ctx = (doc, prev, index) => chain.chainContext(doc, prev, index);
// a regeneration of turn 1 (b1 after a1), then a turn on the first branch
const branches = conv(link("a0", null, 0, 1), link("a1", "a0", 1, 10, 5), link("b1", "a0", 1, 100, 6),
                      link("a2", "a1", 2, 1000, 7));
// Gemini opened mid-history: x3, x4 recorded first at positions 0, 1; then x0..x2 loaded above
const lazyTop = [link("x0", null, 0, 1, 10), link("x1", "x0", 1, 10, 11), link("x2", "x1", 2, 100, 12)];
const unlinked = conv(link("x3", null, 0, 1000), link("x4", "x3", 1, 10000), ...lazyTop);
const linked = conv(link("x3", "x2", 0, 1000), link("x4", "x3", 1, 10000), ...lazyTop);
// records from before chains (schema 1, no prev_gen), then a new turn after them
const old = conv(link("o0", undefined, 0, 1), link("o1", undefined, 1, 10), link("o1b", undefined, 1, 20, 9));
// ChatGPT: the first mounted turn is turn 7 (nothing rendered before it); turns 5 and 6 known by position
const midway = conv(link("m5", undefined, 5, 1), link("m6", undefined, 6, 10), link("m7", null, 7, 100));
const cycle = conv(link("c1", "c2", 3, 1), link("c2", "c1", 2, 10), link("c0", null, 0, 100),
                   link("self", "self", 4, 7));
const item = (gen, prev, turn, seq, conversation = "k") => ({
  id: chain.exchangeId("gemini", conversation, gen), seq,
  exchange: { platform: "gemini", conversation_id: conversation, gen, prev_gen: prev, turn_index: turn } });
const order = (items) => {
  const out = [];
  for (let rest = items; rest.length;) {
    const next = chain.nextPending(rest);
    out.push(next.exchange.gen);
    rest = rest.filter((i) => i !== next);
  }
  return out;
};
const valid = (extra) => store.isValidRecord(rec(0, 0, now, extra));
const v1 = { v: 1, platform: "gemini", conversation_id: "k", title: "", exchanges: [link("o0", undefined, 0, 1)] };
const chainOut = {
  branch: [ctx(branches, "a1", 2), ctx(branches, "b1", 2), ctx(branches, "a2", 3)],
  firstTurn: ctx(branches, null, 0),
  unknownPrev: ctx(branches, "gone", 2),
  positionalWouldSay: store.contextTokens(branches, 2),
  lazyUnlinked: ctx(unlinked, "x4", 5),
  lazyLinked: ctx(linked, "x4", 5),
  afterOld: ctx(old, "o1", 2),
  midway: ctx(midway, "m7", 8),
  cycle: [ctx(cycle, "c1", 4), ctx(cycle, "self", 5)],
  regenerated: {
    sameParent: chain.isRegeneration(branches, "a0", 1),
    newTurn: chain.isRegeneration(branches, "b1", 2),
    nextOnFirstBranch: chain.isRegeneration(branches, "a2", 3),
    firstTurnAgain: chain.isRegeneration(branches, null, 0),
    lazyFirstTurnUnlinked: chain.isRegeneration(conv(link("x3", null, 0, 1), link("x4", "x3", 1, 1)), null, 0),
    lazyFirstTurnLinked: chain.isRegeneration(conv(link("x3", "x2", 0, 1), link("x4", "x3", 1, 1)), null, 0),
    oldByPosition: chain.isRegeneration(old, "o0", 1),
    oldOtherPosition: chain.isRegeneration(old, "o1", 2),
    firstMountedOtherIndex: chain.isRegeneration(midway, null, 9),
  },
  queue: {
    // c waits for b, b for a, although both have lower turn numbers; the other conversation is not blocked
    chain: order([item("c", "b", 0, 1), item("b", "a", 1, 2), item("a", null, 5, 3), item("q", "a", 2, 0, "other")]),
    byTurn: order([item("t2", null, 2, 1), item("t0", null, 0, 2), item("t1", null, 1, 3)]),
    cycle: order([item("p", "q", 1, 1), item("q", "p", 0, 2)]),
    self: order([item("s", "s", 3, 1), item("t", null, 4, 2)]),
  },
  // what the popup's table and export read: a time a Date can hold, the model the estimate used
  record: { ok: valid({}), noModel: valid({ model: undefined }), modelNull: valid({ model: null }),
            labelNumber: valid({ model: { label: 4 } }), tooLate: valid({ time: 8.64e15 + 1 }),
            tooEarly: valid({ time: -8.64e15 - 1 }), latest: valid({ time: 8.64e15 }), infinite: valid({ time: Infinity }) },
  valid: { absent: valid({}), none: valid({ prev_gen: null }), gen: valid({ prev_gen: "g1" }),
           number: valid({ prev_gen: 5 }), empty: valid({ prev_gen: "" }), long: valid({ prev_gen: "x".repeat(301) }),
           object: valid({ prev_gen: {} }) },
  v1: { loads: store.checkDocument(v1).doc?.exchanges.length ?? 0, version: store.checkDocument(v1).doc?.v,
        prevGen: "prev_gen" in store.checkDocument(v1).doc.exchanges[0] },
};

// -- records recomputed for new settings (lib/recompute.js) ------------------------------------------
const fr = { region: "FR", grid_g_per_kwh: null, pue: null, badges: true };
const frKey = store.impactKey(fr);
const stamped = (i, key) => rec(i, 0, now, { impact_key: key, model_label: i ? "GPT-4o" : undefined,
                                             warnings: i === 2 ? ["w"] : undefined });
const mixed = { v: 3, platform: "chatgpt", conversation_id: "m", title: "", exchanges: [
  stamped(0, undefined), stamped(1, frKey), stamped(2, store.impactKey({})), stamped(3, frKey)] };
const result = (i) => ({ wall_wh: i, wall_wh_low: i / 2, wall_wh_high: 2 * i, co2_g: 3 * i, co2_g_low: i, co2_g_high: 9 * i,
                         region: "FR", grid_g_per_kwh: 21 });
const v2 = { v: 2, platform: "gemini", conversation_id: "k", title: "", exchanges: [link("o0", "p", 0, 1)] };
const recomputeOut = {
  keys: [store.impactKey({}), store.impactKey(fr), store.impactKey({ ...fr, grid_g_per_kwh: 100 }),
         store.impactKey({ grid_g_per_kwh: 100 }), store.impactKey({ pue: 1.5, badges: false }),
         store.impactKey({ region: "", pue: null })],
  settings: [store.impactSettings({ region: "FR", grid_g_per_kwh: 0, pue: 1.2, badges: true }),
             store.impactSettings(fr), store.impactSettings({ region: null, grid_g_per_kwh: null, pue: null })],
  stale: recompute.staleRecords([mixed], frKey).map((x) => [x.key, x.id, x.platform]),
  staleSkipping: recompute.staleRecords([mixed], frKey, new Set(["chatgpt:c:0"])).map((x) => x.id),
  request: recompute.impactRequest(recompute.staleRecords([mixed], frKey), { ...fr, pue: 1.5 }),
  applied: recompute.applyImpact({ ...stamped(2, "old"), pue: 1.3 },
                                 { ...result(2), warnings: Array.from({ length: 12 }, (_, k) => `w${k}`) },
                                 { ...fr, pue: null }),
  appliedNoWarnings: recompute.applyImpact(stamped(1, "old"), result(1), { grid_g_per_kwh: 0, pue: 2 }),
  valid: { string: valid({ impact_key: "x" }), absent: valid({}), number: valid({ impact_key: 1 }),
           none: valid({ impact_key: null }) },
  v2: { version: store.checkDocument(v2).doc?.v, impactKey: "impact_key" in store.checkDocument(v2).doc.exchanges[0],
        prevGen: store.checkDocument(v2).doc.exchanges[0].prev_gen },
  v3: { version: store.checkDocument(mixed).doc?.v,
        impactKey: store.checkDocument(mixed).doc.exchanges.some((x) => "impact_key" in x),
        untouched: mixed.exchanges.filter((x) => x.impact_key === frKey).length },
  validImpact: { absent: valid({}), good: valid({ water_ml: 1, embodied_co2_g: 0.1 }),
                 negative: valid({ water_ml: -1 }), text: valid({ embodied_co2_g: "1" }) },
  sums: (() => {
    const t = store.summarise([{ ...mixed, v: 4, exchanges: [rec(0, 0, now, { water_ml: 2, embodied_co2_g: 0.25 }),
      rec(1, 0, now, { water_ml: 0.5, embodied_co2_g: 0.25 }), rec(2, 0, now)] }], now).totals.all;
    return { water_ml: t.water_ml, embodied_co2_g: t.embodied_co2_g };
  })(),
};

// -- records estimated again once their place is known (lib/reestimate.js) ----------------------------
// as the service worker writes them: a record's context and index are what chainContext gave on arrival
const arrive = (d, gen, prev, pageIndex, tokens) => {
  const c = chain.chainContext(d, prev, pageIndex);
  const twins = chain.regenerationOf(d, prev, c.turn_index);
  const r = { ...link(gen, prev, c.turn_index, tokens, d.exchanges.length), context_tokens: c.context_tokens,
              regenerated: twins.length > 0 };
  const evidence = reestimate.regenerationEvidence(prev, twins);
  if (evidence) r.regenerated_of = evidence;
  d.exchanges.push(r);
  return reestimate.afterChainChange(d, [gen]);
};
const relink = (d, gen, prev) => {
  d.exchanges.find((r) => r.gen === gen).prev_gen = prev;
  return reestimate.afterChainChange(d, [gen]);
};
const state = (d) => Object.fromEntries(d.exchanges.map((r) => [r.gen, [r.turn_index, r.context_tokens,
  r.reestimate === true, r.regenerated, r.regenerated_of ?? null]]));
const applyTargets = (d) => { // what the pass writes (counts unchanged), then what a new turn would see
  const ts = reestimate.targets(d);
  for (const r of d.exchanges) if (ts.has(r.id)) { Object.assign(r, ts.get(r.id)); delete r.reestimate; }
};
// Gemini opened mid-history: x3, x4 on screen; x0..x2 render above. (a) the link comes first
const lazyA = conv();
const stepsA = [arrive(lazyA, "x3", null, 0, 1000), arrive(lazyA, "x4", "x3", 1, 10000), relink(lazyA, "x3", "x2"),
                arrive(lazyA, "x0", null, 0, 1), arrive(lazyA, "x1", "x0", 1, 10), arrive(lazyA, "x2", "x1", 2, 100)];
const lazyAMarked = state(lazyA);
const lazyATargets = Object.fromEntries(reestimate.targets(lazyA));
applyTargets(lazyA);
// (b) the true first turn estimated before the link: flagged, then cleared once the chain reaches it
const lazyB = conv();
const stepsB = [arrive(lazyB, "x3", null, 0, 1000), arrive(lazyB, "x4", "x3", 1, 10000),
                arrive(lazyB, "x0", null, 0, 1)];
const lazyBFlagged = state(lazyB).x0;
stepsB.push(relink(lazyB, "x3", "x2"));
const lazyBLinkedEarly = state(lazyB).x0;
stepsB.push(arrive(lazyB, "x1", "x0", 1, 10), arrive(lazyB, "x2", "x1", 2, 100));
// (c) the first rendered turn regenerated (y3, then y3b), the true first turn y2 recorded before any
// link, then y3 linked below y2: y3b is still a regeneration of y3, and y2 waits for y3b to be linked
const regen = conv();
const stepsC = [arrive(regen, "y3", null, 0, 1000), arrive(regen, "y3b", null, 0, 2000),
                arrive(regen, "y2", null, 0, 5), relink(regen, "y3", "y2")];
// (d) in order: nothing is ever marked, whatever is stored or linked
const inOrder = conv();
const stepsD = [arrive(inOrder, "a0", null, 0, 1), arrive(inOrder, "a1", "a0", 1, 10),
                arrive(inOrder, "b1", "a0", 1, 20), arrive(inOrder, "a2", "a1", 2, 100)];
stepsD.push(reestimate.afterChainChange(inOrder, inOrder.exchanges.map((r) => r.gen)));
const counted = { ...rec(7, 3, now), model_label: "", reasoning_tokens: 40, reasoning_estimated: true,
                  reasoning_seconds: 12, context_tokens: 5, reestimate: true };
const v = { ...result(3), prompt_tokens: 11, reply_tokens: 22, reasoning_tokens: 41, reasoning_estimated: true,
            input_tokens: 900, output_tokens: 63, energy_wh: 0.3, energy_wh_low: 0.1, energy_wh_high: 0.9,
            model: { label: "GPT-5", platform: "chatgpt", is_fallback: false, tokenizer: "o200k_base" },
            model_version: "m1" };
const place = { turn_index: 4, context_tokens: 99 };
const twin = (gen, prev) => link(gen, prev, 0, 1);
const reestimateOut = {
  lazyA: { steps: stepsA, marked: lazyAMarked, targets: lazyATargets, after: state(lazyA),
           again: reestimate.afterChainChange(lazyA, lazyA.exchanges.map((r) => r.gen)) },
  lazyB: { steps: stepsB, flagged: lazyBFlagged, linkedEarly: lazyBLinkedEarly, after: state(lazyB).x0 },
  regen: { steps: stepsC, after: state(regen) },
  inOrder: stepsD,
  below: { cycle: reestimate.below(cycle, ["c1"]).map((r) => r.gen),
           branches: reestimate.below(branches, ["a0"]).map((r) => r.gen) },
  evidence: [reestimate.regenerationEvidence(null, [twin("p", null)]),
             reestimate.regenerationEvidence("q", [twin("p", "q")]),
             reestimate.regenerationEvidence(null, [twin("p", null), twin("o", undefined)]),
             reestimate.regenerationEvidence(null, Array.from({ length: 11 }, (_, k) => twin(`p${k}`, null)))],
  request: reestimate.reestimateRequest([{ platform: "chatgpt", record: counted, target: place }],
                                        { region: "FR", grid_g_per_kwh: null, pue: 1.2 }),
  fields: reestimate.estimateFields(v, Array.from({ length: 12 }, (_, k) => `w${k}`), place,
                                    { region: "FR", pue: 1.2 }),
  marked: reestimate.markedRecords([conv(link("m0", null, 0, 1), { ...link("m1", "m0", 0, 10), reestimate: true })])
    .map((m) => [m.key, m.id, m.target]),
};

// -- a ChatGPT export imported (lib/importer.js) ------------------------------------------------------
// raw(gen, prev, turn, context, ids): an import_next record; every reply 10 + 100 tokens
const raw = (gen, prev, turn, context, ids = []) => ({
  gen, prev_gen: prev, msg_ids: [gen, ...ids], regenerated: false, time: 1.7e12 + turn, model_label: "gpt-4o",
  reasoning_seconds: null, turn_index: turn, context_tokens: context, warnings: ["w"],
  value: { ...v, prompt_tokens: 10, reply_tokens: 100, reasoning_estimated: false } });
const imported = (rs) => importer.cleanImportBatch({ settings: { region: "FR" }, conversations: [
  { conversation_id: "k", title: "from the export", records: rs }] }).conversations[0].records;
const liveRec = (gen, prev, turn, context, time = 2e12) => ({ ...link(gen, prev, turn, 110, time),
  prompt_tokens: 10, reply_tokens: 100, context_tokens: context, id: `chatgpt:k:${gen}` });
// a ChatGPT page opened mid-history recorded turns 2 and 3 live (d2 first on screen: prev null), and
// d9 after a reply whose prompt was not mounted (named by a message id, "y1", of the export's turn 1)
const midDoc = { ...conv(liveRec("d2", null, 2, 0), liveRec("d3", "d2", 3, 110), liveRec("d9", "y1", 2, 0)),
                 platform: "chatgpt" };
const exportRecs = [raw("e0", null, 0, 0), raw("e1", "e0", 1, 110, ["y1"]), raw("t2", "e1", 2, 220, ["d2"]),
                    raw("e3", "t2", 3, 330, ["d3"])];
const midMerge = importer.mergeImported(midDoc, "from the export", imported(exportRecs));
const midAgain = importer.mergeImported(midDoc, "from the export", imported(exportRecs));
let refused = [];
for (const bad of [{ conversations: "x", settings: {} }, { conversations: [], settings: null },
                   { conversations: [{ conversation_id: "k", records: [{ ...raw("a", null, 0, 0), turn_index: -1 }] }],
                     settings: {} },
                   { conversations: [{ conversation_id: "k", records: [{ ...raw("a", null, 0, 0), value: {} }] }],
                     settings: {} },
                   { conversations: [{ conversation_id: "k", records: Array(2001).fill(raw("a", null, 0, 0)) }],
                     settings: {} }]) {
  try { importer.cleanImportBatch(bad); refused.push(false); } catch (err) { refused.push(err.message.startsWith("import: ")); }
}
const oneRec = imported([raw("e0", null, 0, 0, ["e0", "z"])])[0];
// an export's time that no Date can hold: the record is kept, dated like an undated one
const farRec = imported([{ ...raw("f0", null, 0, 0), time: 1e17 }])[0];
const importerOut = {
  merge: { added: midMerge.added.map((r) => r.gen), skipped: midMerge.skipped, marked: midMerge.marked,
           changed: midMerge.changed, title: midDoc.title,
           records: Object.fromEntries(midDoc.exchanges.map((r) => [r.gen, [r.prev_gen, r.msg_ids ?? null,
             r.reestimate === true, r.source ?? "live"]])) },
  again: { added: midAgain.added.length, skipped: midAgain.skipped, changed: midAgain.changed },
  canonical: [chain.canonicalGen(midDoc, "y1"), chain.canonicalGen(midDoc, "d3"), chain.canonicalGen(midDoc, "zz"),
              chain.canonicalGen(midDoc, null)],
  record: { id: oneRec.id, msg_ids: oneRec.msg_ids, source: oneRec.source, valid: store.isValidRecord(oneRec),
            impact_key: oneRec.impact_key, turn_index: oneRec.turn_index, context_tokens: oneRec.context_tokens,
            energy_wh: oneRec.energy_wh },
  farTime: { valid: store.isValidRecord(farRec), dated: Math.abs(farRec.time - Date.now()) < 60e3 },
  refused,
};

// -- messages to the service worker (lib/messages.js) --------------------------------------------------
const EXT = "chrome-extension://abcdefghijklmnop/";
const senders = {
  contentScript: { tab: { id: 7 }, url: "https://chatgpt.com/c/1" },
  popup: { url: `${EXT}popup.html` },
  importTab: { tab: { id: 8 }, url: `${EXT}import.html` }, // the import page is an extension page in a tab
  // a site's page whose URL merely contains the extension's: not one of its pages
  lookalike: { tab: { id: 9 }, url: `https://chatgpt.com/${EXT}popup.html` },
};
const types = ["exchange", "link", "badges", "siteStatus", "status", "py", "clear", "reindex", "offscreenIdle",
               "recompute", "importChatgpt"];
const refusals = Object.fromEntries(Object.entries(senders).map(([who, sender]) => [who,
  Object.fromEntries(types.map((t) => [t, messages.senderRefusal(t, sender, EXT)]))]));
const thrown = (fn) => { try { fn(); return null; } catch (err) { return err.message; } };
const ex = (extra = {}) => ({ platform: "gemini", conversation_id: "c1", gen: "g1", turn_index: 2, ...extra });
const big = "x".repeat(20e6 + 5);
const clean = messages.cleanExchange(ex({
  prev_gen: "p".repeat(400), title: "t".repeat(400), model_label: "m".repeat(300), prompt: big, reply: 5,
  reasoning: ["r"], reasoning_seconds: -1, observed_at: "soon", extra: "dropped", conversation_id: "c".repeat(250),
}));
const messagesOut = {
  refusals,
  exchange: { keys: Object.keys(clean).sort(), prev: clean.prev_gen.length, conv: clean.conversation_id.length,
              title: clean.title.length, model: clean.model_label.length, prompt: clean.prompt.length,
              reply: clean.reply, reasoning: clean.reasoning, secs: clean.reasoning_seconds,
              observedIsNow: Math.abs(clean.observed_at - Date.now()) < 60e3,
              kept: messages.cleanExchange(ex({ reasoning_seconds: 12.5, observed_at: 123, model_label: "" })) },
  exchangeRefused: [ex({ platform: "claude" }), ex({ turn_index: -1 }), ex({ turn_index: 1.5 }), ex({ turn_index: "2" }),
                    ex({ gen: "" }), ex({ conversation_id: 42 }), ex({ prev_gen: 3 }), null]
    .map((d) => thrown(() => messages.cleanExchange(d))),
  // a time no Date can hold, or none, is the time received; a real one is kept
  observed: [NaN, Infinity, -Infinity, -5, 0, 8.64e15 + 1, 1e300].map(
    (t) => Math.abs(messages.cleanExchange(ex({ observed_at: t })).observed_at - Date.now()) < 60e3)
    .concat([messages.cleanExchange(ex({ observed_at: 8.64e15 })).observed_at === 8.64e15]),
  secs: [NaN, Infinity, "3", null, 0, 4].map((s) => messages.cleanExchange(ex({ reasoning_seconds: s })).reasoning_seconds),
  prevGen: [null, undefined, "", "g1", "g0"].map((p) => messages.cleanPrevGen({ prev_gen: p }, "g1")),
  badges: (() => {
    const q = messages.cleanBadgeQuery({ platform: "chatgpt", conversations: [
      { conversation_id: "a", gens: [...Array.from({ length: 4000 }, (_, k) => `a${k}`), 5, "", null] },
      { conversation_id: "b", gens: Array.from({ length: 4000 }, (_, k) => `b${k}`) },
      { conversation_id: "c", gens: ["c0"] }] });
    return { lengths: q.conversations.map((c) => c.gens.length), max: messages.MAX_BADGE_GENS };
  })(),
  badgesRefused: [{ platform: "x", conversations: [] }, { platform: "chatgpt", conversations: {} },
                  { platform: "chatgpt", conversations: [{ conversation_id: "", gens: [] }] },
                  { platform: "chatgpt", conversations: [{ conversation_id: "a", gens: "g" }] }]
    .map((d) => thrown(() => messages.cleanBadgeQuery(d))),
  py: ["equivalents", "info", "count", "exchange", "impact", "reestimate", "import_next"]
    .map((op) => thrown(() => messages.cleanPyRequest({ op }))),
};

console.log(JSON.stringify({
  messages: messagesOut,
  importer: importerOut,
  chain: chainOut,
  reestimate: reestimateOut,
  recompute: recomputeOut,
  context: [0, 1, 2, 3].map((k) => store.contextTokens(doc, k)),
  checked: { docs: checked.docs.length, skippedDocs: checked.skippedDocs, skippedRecords: checked.skippedRecords,
             newer: checked.newer },
  totals: Object.fromEntries(Object.entries(s.totals).map(([k, t]) => [k, t.exchanges])),
  platforms: Object.fromEntries(Object.entries(s.platforms).map(([k, t]) => [k, t.exchanges])),
  daily: s.daily.length, dailyToday: s.daily[13].exchanges, order: s.conversations.map((c) => c.conversation_id),
  migrateCurrent: store.migrate({ v: 1 }) !== null, migrateUnknownOld: store.migrate({ v: 0 }),
  indexValid: store.isValidIndex(index), indexSkipped: index.skipped,
  indexAgrees: JSON.stringify(fromIndex.totals) === JSON.stringify(s.totals),
  indexRejects: [null, { v: 1 }, { ...index, v: 1 },
    { ...index, conversations: { x: { platform: "chatgpt", conversation_id: "x", exchanges: "1" } } }]
    .map((x) => store.isValidIndex(x)),
}));
