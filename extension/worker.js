// Module worker: boots Pyodide once, installs the pycore bundle and answers requests with
// pycore.browser.handle (JSON in, JSON out). Conversation text only passes through.
//
// Pyodide starts from the memory snapshot build.py made (pycore.browser imported, caches warm):
// restoring it replaces Python's start-up and imports, most of a cold boot. Should it fail (it is
// tied to these exact Pyodide files), Python starts the plain way. The boot stages leave User
// Timing marks (pw:*), seen in DevTools and read by bench/bench_boot.py.
import { loadPyodide } from "./pyodide/pyodide.mjs";

const SITE = "/home/pyodide/site"; // also in tools/make_snapshot.mjs
const boot = { from: null, snapshotError: null }; // how it booted, for the offscreen document's "boot" query
performance.mark("pw:worker-start");

async function bytes(path) {
  const res = await fetch(new URL(path, import.meta.url));
  if (!res.ok) throw new Error(`cannot read ${path} (${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

const ready = (async () => {
  const indexURL = new URL("./pyodide/", import.meta.url).href;
  const bundle = bytes("./pycore/pycore.zip"); // read while Pyodide starts
  let pyodide;
  try {
    pyodide = await loadPyodide({ indexURL, _loadSnapshot: bytes("./pycore/snapshot.bin") });
    boot.from = "snapshot";
  } catch (err) {
    boot.snapshotError = String(err && err.message ? err.message : err);
    pyodide = await loadPyodide({ indexURL });
    boot.from = "fresh";
  }
  performance.mark("pw:pyodide-loaded");
  pyodide.unpackArchive(await bundle, "zip", { extractDir: SITE });
  performance.mark("pw:bundle-unpacked");
  if (boot.from === "snapshot") {
    pyodide.runPython("import random\nrandom.seed()"); // the snapshot's generator state is every user's
  } else {
    pyodide.runPython(`import sys\nsys.path.insert(0, ${JSON.stringify(SITE)})`);
  }
  const handle = pyodide.pyimport("pycore.browser").handle;
  performance.mark("pw:pycore-imported");
  return handle;
})();

self.addEventListener("message", async (event) => {
  const { id, request, query } = event.data;
  try {
    const handle = await ready;
    if (query === "boot") self.postMessage({ id, result: JSON.stringify(boot) });
    else self.postMessage({ id, result: handle(request) });
  } catch (err) {
    self.postMessage({ id, error: String(err && err.message ? err.message : err) });
  }
});
