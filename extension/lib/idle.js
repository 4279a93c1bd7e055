// How long the offscreen document (and the ~100 MB of Pyodide in it) may sit without a Python
// request before the service worker closes it; the next request opens it again (a cold boot of a
// few seconds). Tests shorten it with chrome.storage.local `debug.offscreenIdleMs`.
export const OFFSCREEN_IDLE_MS = 2 * 60 * 1000;

/** The idle period to use: a positive finite `debug.offscreenIdleMs` if set, else the default. */
export function idleMsFrom(debug) {
  const ms = debug && debug.offscreenIdleMs;
  return typeof ms === "number" && Number.isFinite(ms) && ms > 0 ? ms : OFFSCREEN_IDLE_MS;
}
