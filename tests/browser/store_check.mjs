// Pure functions of extension/lib/store.js under Node (no chrome.* needed): prints JSON results
// that test_store.py checks.
import { readFileSync } from "node:fs";

// Loaded as a module from its source: the extension folder has no package.json saying "module".
const source = readFileSync(new URL("../../extension/lib/store.js", import.meta.url), "utf8");
const store = await import(`data:text/javascript,${encodeURIComponent(source)}`);

const rec = (i, turn, time, extra = {}) => ({
  id: `chatgpt:c:${i}`, gen: `g${i}`, turn_index: turn, regenerated: false, time,
  prompt_tokens: 10 * (turn + 1), reply_tokens: 100 * (turn + 1), reasoning_tokens: 0, input_tokens: 50,
  output_tokens: 100, energy_wh: 1, energy_wh_low: 0.5, energy_wh_high: 2, wall_wh: 1.5, wall_wh_low: 0.7,
  wall_wh_high: 3, co2_g: 0.5, co2_g_low: 0.2, co2_g_high: 1, ...extra,
});
const now = new Date(2026, 10, 26, 15, 0, 0).getTime();
const day = 86400e3;
const doc = { v: 1, platform: "chatgpt", conversation_id: "c", title: "t", exchanges: [
  rec(0, 0, now - 9 * day), rec(1, 1, now - 3 * day), rec(2, 1, now - 1000, { regenerated: true }), rec(3, 2, now - 10),
] };
const other = { v: 1, platform: "gemini", conversation_id: "g", title: "", exchanges: [rec(4, 0, now - 2 * day)] };
const checked = store.checkAll({
  "conv:chatgpt:c": doc, "conv:gemini:g": other, "conv:deepseek:bad": { v: 1, platform: "deepseek" },
  "conv:gemini:broken": { ...other, exchanges: [rec(5, 0, now, { energy_wh: -1 }), rec(6, 0, now, { co2_g: NaN }), "x"] },
  "conv:chatgpt:future": { v: 7 }, settings: { badges: true },
});
const s = store.summarise(checked.docs, now, 14);
const index = store.buildIndex(checked);
const fromIndex = store.summariseIndex(JSON.parse(JSON.stringify(index)), now, 14);
console.log(JSON.stringify({
  context: [0, 1, 2, 3].map((k) => store.contextTokens(doc, k)),
  checked: { docs: checked.docs.length, skippedDocs: checked.skippedDocs, skippedRecords: checked.skippedRecords,
             newer: checked.newer },
  totals: Object.fromEntries(Object.entries(s.totals).map(([k, t]) => [k, t.exchanges])),
  platforms: Object.fromEntries(Object.entries(s.platforms).map(([k, t]) => [k, t.exchanges])),
  daily: s.daily.length, dailyToday: s.daily[13].exchanges, order: s.conversations.map((c) => c.conversation_id),
  migrateCurrent: store.migrate({ v: 1 }) !== null, migrateUnknownOld: store.migrate({ v: 0 }),
  indexValid: store.isValidIndex(index), indexSkipped: index.skipped,
  indexAgrees: JSON.stringify(fromIndex.totals) === JSON.stringify(s.totals),
  indexRejects: [null, { v: 1 }, { ...index, v: 2 },
    { ...index, conversations: { x: { platform: "chatgpt", conversation_id: "x", exchanges: "1" } } }]
    .map((x) => store.isValidIndex(x)),
}));
