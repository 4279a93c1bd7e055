// Who may send the service worker what, and the messages' data typed and bounded before anything
// reads it. Pure: no chrome.* here (tests/browser/store_check.mjs runs it under Node).
import { MAX_GEN, MAX_TIME, PLATFORMS } from "./store.js";

export const MAX_BADGE_GENS = 5000; // turns one page may ask the figures of at once
export const PY_OPS_FROM_POPUP = new Set(["equivalents", "info", "count", "compare"]);
export const FROM_TABS = new Set(["exchange", "link", "badges"]); // what only content scripts send
// What only the extension's own pages (popup, offscreen document, import page) send: a content script, which
// lives in a site's page, may never clear the records or reach Python directly.
export const FROM_EXTENSION_PAGES = new Set([
  "py", "clear", "reindex", "offscreenIdle", "recompute", "importHistory", "options",
]);

/**
 * Why a message of this type is refused from this sender (the error sent back), or null if it may send it.
 * extensionUrl: chrome.runtime.getURL(""), the prefix of the extension's own pages.
 */
export function senderRefusal(type, sender, extensionUrl) {
  if (FROM_TABS.has(type) && !sender.tab) return `${type} messages come from tabs`;
  if (FROM_EXTENSION_PAGES.has(type) && !(sender.url || "").startsWith(extensionUrl)) {
    return `${type} messages come from the extension's own pages`;
  }
  return null;
}

export function str(x, max) {
  return typeof x === "string" ? x.slice(0, max) : "";
}

/** platform, conversation_id and gen of a message, typed and bounded. */
export function cleanIds(d) {
  if (!d || !PLATFORMS.includes(d.platform)) throw new Error("unknown platform");
  const conv = str(d.conversation_id, 200);
  const gen = str(d.gen, MAX_GEN);
  if (!conv || !gen) throw new Error("missing conversation or generation id");
  return { platform: d.platform, conversation_id: conv, gen };
}

/**
 * The generation rendered before this one: a string cut like gen (so that the two still match) or
 * null (nothing before it; a missing field means the same). A turn cannot follow itself: null.
 */
export function cleanPrevGen(d, gen) {
  if (d.prev_gen === undefined || d.prev_gen === null) return null;
  if (typeof d.prev_gen !== "string") throw new Error("bad prev_gen: a generation id or null");
  const prev = d.prev_gen.slice(0, MAX_GEN);
  return prev && prev !== gen ? prev : null;
}

/** Only what the content script should send, typed and bounded. */
export function cleanExchange(d) {
  const { conversation_id: conv, gen } = cleanIds(d);
  const prevGen = cleanPrevGen(d, gen);
  if (!Number.isInteger(d.turn_index) || d.turn_index < 0) throw new Error("bad turn_index");
  const secs = typeof d.reasoning_seconds === "number" && Number.isFinite(d.reasoning_seconds) && d.reasoning_seconds >= 0
    ? d.reasoning_seconds : null;
  return {
    platform: d.platform, conversation_id: conv, gen, prev_gen: prevGen, turn_index: d.turn_index,
    title: str(d.title, 300),
    model_label: str(d.model_label, 200) || null, prompt: str(d.prompt, 20e6), reply: str(d.reply, 20e6),
    reasoning: str(d.reasoning, 20e6), reasoning_seconds: secs,
    // a time a Date cannot hold (NaN, Infinity, beyond year 275760) would make a record without a day
    observed_at: typeof d.observed_at === "number" && d.observed_at > 0 && d.observed_at <= MAX_TIME
      ? d.observed_at : Date.now(),
  };
}

/** {platform, conversations: [{conversation_id, gens}]} from a content script, typed and bounded. */
export function cleanBadgeQuery(d) {
  if (!d || !PLATFORMS.includes(d.platform)) throw new Error("unknown platform");
  if (!Array.isArray(d.conversations)) throw new Error("badges: conversations must be a list");
  let left = MAX_BADGE_GENS;
  const conversations = [];
  for (const c of d.conversations) {
    const conv = str(c && c.conversation_id, 200);
    if (!conv || !Array.isArray(c.gens)) throw new Error("badges: each conversation needs an id and a list of gens");
    const gens = c.gens.filter((g) => typeof g === "string" && g).slice(0, left).map((g) => g.slice(0, MAX_GEN));
    left -= gens.length;
    conversations.push({ conversation_id: conv, gens });
    if (left <= 0) break; // the page lists its current conversation first
  }
  return { platform: d.platform, conversations };
}

/** A Python request from the popup: only the ops it may call (equivalents, info, count). */
export function cleanPyRequest(d) {
  if (!d || !PY_OPS_FROM_POPUP.has(d.op)) throw new Error("op not allowed");
  return d;
}
