// The offscreen document that hosts the Pyodide worker (a service worker cannot start a Worker), and
// python(), the one way to it.
//
// The document is closed when idle so that Pyodide does not hold ~100 MB for the whole browser
// session. The document keeps the idle timer (the service worker's timers die when MV3 stops it) and,
// when idle, asks the service worker; which, since every Python request passes through here, decides.
import { idleMsFrom } from "./idle.js";

/**
 * url: the document's page; debugOptions: async () => the debug test hooks (chrome.storage.local `debug`);
 * pendingItems: async () => the exchanges waiting (any keeps the document open); othersBusy: () => whether
 * work that calls Python is running (the queue, a recompute, a re-estimate).
 */
export function offscreenDocument({ url, debugOptions, pendingItems, othersBusy }) {
  let creating = null;
  let closing = null;
  let inFlight = 0; // python() calls between their start and their reply

  async function hasOffscreen() {
    const contexts = await chrome.runtime.getContexts({ contextTypes: ["OFFSCREEN_DOCUMENT"] });
    return contexts.length > 0;
  }

  /** Only one offscreen document may exist: concurrent callers share one creation; a close finishes first. */
  async function ensureOffscreen() {
    while (closing) await closing;
    if (await hasOffscreen()) return;
    creating ??= chrome.offscreen.createDocument({
      url, reasons: ["WORKERS"], justification: "Runs the Pyodide worker that estimates energy locally",
    }).catch((err) => {
      if (!String(err).includes("single offscreen")) throw err;
    }).finally(() => { creating = null; });
    await creating;
  }

  /** Sends one request to pycore.browser.handle and returns its parsed result {ok, value, warnings, errors}. */
  async function python(request) {
    inFlight++; // before any await: from here on no close may start (closeIfIdle checks it last)
    try {
      const idleMs = idleMsFrom(await debugOptions());
      await ensureOffscreen();
      const reply = await chrome.runtime.sendMessage({
        target: "offscreen", type: "py", data: JSON.stringify(request), idleMs,
      });
      if (!reply || !reply.ok) throw new Error(`pyodide worker: ${reply ? reply.error : "no reply"}`);
      return JSON.parse(reply.result);
    } finally {
      inFlight--;
    }
  }

  function busy() {
    return inFlight > 0 || creating !== null || closing !== null || othersBusy();
  }

  /**
   * Closes the offscreen document if nothing needs it: no request in flight, no creation or close
   * under way, no queue running and no exchange pending (a held or failed one keeps Pyodide ready).
   * Returns whether it closed it.
   */
  async function closeIfIdle() {
    if (busy() || (await pendingItems()).length || !(await hasOffscreen())) return false;
    if (busy()) return false; // a request may have started during the awaits above
    closing = chrome.offscreen.closeDocument().then(() => true, () => false) // already gone: nothing to do
      .finally(() => { closing = null; });
    return closing;
  }

  return { hasOffscreen, ensureOffscreen, python, closeIfIdle };
}
