// Offscreen document: hosts the module worker that runs Pyodide (a service worker cannot start
// one) and relays requests to it. It also keeps the idle timer: after the idle period with no
// request it asks the service worker to close it (the worker's own timers die when MV3 stops it).
import { OFFSCREEN_IDLE_MS } from "./lib/idle.js";

const worker = new Worker("worker.js", { type: "module" });
const waiting = new Map();
let nextId = 0;

let idleMs = OFFSCREEN_IDLE_MS; // each request brings the service worker's current value
let idleTimer = null;

/** (Re)starts the idle period; only counts while no request is being answered. */
function armIdle() {
  clearTimeout(idleTimer);
  idleTimer = waiting.size ? null : setTimeout(reportIdle, idleMs);
}

async function reportIdle() {
  idleTimer = null;
  try {
    await chrome.runtime.sendMessage({ target: "background", type: "offscreenIdle" });
  } catch { /* no answer: ask again after the next idle period */ }
  // Still open: the service worker kept the document (work in flight or pending), so wait again.
  if (idleTimer === null) armIdle();
}

worker.addEventListener("message", (event) => {
  const { id, result, error } = event.data;
  const entry = waiting.get(id);
  if (!entry) return;
  waiting.delete(id);
  if (error) entry.reject(new Error(error));
  else entry.resolve(result);
  armIdle();
});

worker.addEventListener("error", (event) => {
  for (const entry of waiting.values()) entry.reject(new Error(`worker error: ${event.message}`));
  waiting.clear();
  armIdle();
});

/** One JSON request to pycore.browser.handle (or a query to the worker itself); resolves with its JSON reply. */
function call(requestJson, query) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, request: requestJson, query });
  });
}

// "py": a request for Python; "boot": how the worker booted (memory snapshot or plain start), for tests.
// Only the extension's own pages may ask: a content script's message reaches this document too.
chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (!msg || msg.target !== "offscreen" || (msg.type !== "py" && msg.type !== "boot")) return false;
  if (!(sender.url || "").startsWith(chrome.runtime.getURL(""))) return false;
  if (typeof msg.idleMs === "number" && msg.idleMs > 0) idleMs = msg.idleMs;
  const reply = msg.type === "boot" ? call(null, "boot") : call(msg.data);
  armIdle(); // busy now: the timer stops until the reply
  reply.then(
    (result) => sendResponse({ ok: true, result }),
    (err) => sendResponse({ ok: false, error: String(err && err.message ? err.message : err) }),
  );
  return true;
});

armIdle(); // a document opened for a request that never came closes too
