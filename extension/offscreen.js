// Offscreen document: hosts the module worker that runs Pyodide (a service worker cannot start
// one) and relays requests to it. Lives as long as the extension keeps it, so Pyodide boots once.
const worker = new Worker("worker.js", { type: "module" });
const waiting = new Map();
let nextId = 0;

worker.addEventListener("message", (event) => {
  const { id, result, error } = event.data;
  const entry = waiting.get(id);
  if (!entry) return;
  waiting.delete(id);
  if (error) entry.reject(new Error(error));
  else entry.resolve(result);
});

worker.addEventListener("error", (event) => {
  for (const entry of waiting.values()) entry.reject(new Error(`worker error: ${event.message}`));
  waiting.clear();
});

/** One JSON request to pycore.browser.handle; resolves with its JSON reply. */
function call(requestJson) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, request: requestJson });
  });
}

chrome.runtime.onMessage.addListener((msg, _sender, sendResponse) => {
  if (!msg || msg.target !== "offscreen" || msg.type !== "py") return false;
  call(msg.data).then(
    (result) => sendResponse({ ok: true, result }),
    (err) => sendResponse({ ok: false, error: String(err && err.message ? err.message : err) }),
  );
  return true;
});
