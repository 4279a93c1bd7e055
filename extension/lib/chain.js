// The chain of generations: what the model saw before a turn.
//
// Each exchange arrives with `prev_gen`, the generation rendered just before it on the page (null
// when nothing is rendered before it), and its record keeps it (schema 2; records of schema 1 have
// none: unknown). A turn's context is the tokens along that chain. Unlike the turn's position on
// the page, the chain does not shift when Gemini lazy-loads older turns above, ChatGPT unmounts
// off-screen turns or DeepSeek virtualises rows, and after a regeneration or an edited prompt it
// follows the branch actually displayed (the one the model was given).
//
// Where the chain stops short (the first rendered turn of a page opened mid-history, a record from
// before chains, a predecessor never recorded, a cycle in damaged data) the turns further back are
// summed by position (store.contextTokens) as before chains existed, so nothing is worse than that.
// When a chain later reaches further back (older turns rendered above and recorded), the turns
// recorded meanwhile are estimated again at their new context and index (lib/reestimate.js).
// Pure functions: the service worker and tests/browser/store_check.mjs share them.
import { contextTokens } from "./store.js";

/** The id of a record and of its pending exchange. */
export function exchangeId(platform, conversationId, gen) {
  return `${platform}:${conversationId}:${gen}`;
}

/**
 * Every id a stored record of `doc` answers to: its gen and, for a ChatGPT reply known from a data
 * export (lib/importer.js), the ids of the reply's other messages (`msg_ids`). The page marks a reply
 * by its first rendered message, which the export may precede with hidden ones, so a turn shown live
 * and the same turn imported name one record. A gen wins over another record's message id.
 */
export function genAliases(doc) {
  const out = new Map();
  for (const r of doc.exchanges) {
    if (!Array.isArray(r.msg_ids)) continue;
    for (const id of r.msg_ids) if (typeof id === "string" && !out.has(id)) out.set(id, r);
  }
  for (const r of doc.exchanges) out.set(r.gen, r);
  return out;
}

/** The stored record that generation id `gen` names (by its gen or one of its message ids), or undefined. */
export function recordOf(doc, gen) {
  if (typeof gen !== "string") return undefined;
  const direct = doc.exchanges.find((r) => r.gen === gen);
  return direct || doc.exchanges.find((r) => Array.isArray(r.msg_ids) && r.msg_ids.includes(gen));
}

/** The gen `gen` is stored under (itself when no record knows it; null and undefined unchanged). */
export function canonicalGen(doc, gen) {
  const r = recordOf(doc, gen);
  return r ? r.gen : gen;
}

/**
 * {context_tokens, turn_index, chained} of a new exchange of `doc` whose predecessor on the page is
 * `prevGen` and whose position the site adapter gave as `pageIndex`.
 *
 * turn_index: when the predecessor is stored, the index of the earliest record the chain reaches
 * plus the number of records walked (so, for an unbroken chain, the count of turns before it, and
 * in any case the predecessor's turn_index + 1 when that one was numbered the same way); otherwise
 * the adapter's index, as before chains. chained: records walked (0: positional fallback only).
 */
export function chainContext(doc, prevGen, pageIndex) {
  const byGen = new Map(doc.exchanges.map((r) => [r.gen, r]));
  const walked = new Set();
  let sum = 0;
  let end = null;
  // Each record is visited once at most: bounded by the record count, and a cycle simply ends it.
  for (let gen = prevGen; typeof gen === "string";) {
    const r = byGen.get(gen);
    if (!r || walked.has(r)) break;
    walked.add(r);
    sum += r.prompt_tokens + r.reply_tokens;
    end = r;
    gen = r.prev_gen;
  }
  if (!end) return { context_tokens: contextTokens(doc, pageIndex), turn_index: pageIndex, chained: 0 };
  // Before the earliest record reached: by position (zero when it was the conversation's first turn).
  return { context_tokens: sum + contextTokens(doc, end.turn_index, walked), turn_index: end.turn_index + walked.size,
           chained: walked.size };
}

/**
 * Whether `doc` already holds another generation of this turn (the new one is then "regenerated"):
 *  - a record with the same non-null prev_gen: same predecessor, so a regenerated reply or an
 *    edited prompt at this point of the conversation;
 *  - for a turn with nothing rendered before it (prevGen null), a record that also had nothing
 *    before it at the same turn_index. On Gemini such turns always get index 0; on ChatGPT and
 *    DeepSeek the index of the first mounted turn comes from stable keys, so "same index" still
 *    means "same turn".
 *  - a record from before chains (no prev_gen) at the same turn_index: compared by position, as
 *    before.
 * Lazy loading: a page opened mid-history records its first rendered turn T with prev_gen null and
 * index 0 (Gemini numbers by position). When older turns load above it, the content script sends
 * T's predecessor and the service worker fills T's null prev_gen in (never a known one), usually
 * well before the older turns are estimated (they must first stay stable on the page): the true
 * first turn then finds no null-linked record at index 0 and is not flagged. If it is estimated
 * first, it is flagged, and its record names the turns that made it look so (regenerated_of);
 * lib/reestimate.js clears the flag once each of them is found below it on its chain (they were
 * later turns, not generations of it). The alternative, never flagging first turns, would miss
 * every regeneration of a conversation's first reply, a common case.
 */
export function isRegeneration(doc, prevGen, turnIndex) {
  return regenerationOf(doc, prevGen, turnIndex).length > 0;
}

/** The records that make a new exchange a regeneration (isRegeneration), for lib/reestimate.js to re-examine. */
export function regenerationOf(doc, prevGen, turnIndex) {
  return doc.exchanges.filter((r) => {
    if (r.prev_gen === undefined) return r.turn_index === turnIndex;
    if (prevGen !== null) return r.prev_gen === prevGen;
    return r.prev_gen === null && r.turn_index === turnIndex;
  });
}

/**
 * The pending exchange to estimate next: never one whose predecessor is itself pending (it must
 * find that one stored), then lower turns first, then arrival order. If every item waits on
 * another (a cycle, only possible with damaged ids), position order decides.
 */
export function nextPending(items) {
  const ids = new Set(items.map((i) => i.id));
  const waits = (i) => {
    const e = i.exchange;
    if (typeof e.prev_gen !== "string") return false;
    const prev = exchangeId(e.platform, e.conversation_id, e.prev_gen);
    return prev !== i.id && ids.has(prev);
  };
  const ready = items.filter((i) => !waits(i));
  const pool = ready.length ? ready : items;
  return [...pool].sort((a, b) => a.exchange.turn_index - b.exchange.turn_index || a.seq - b.seq)[0];
}
