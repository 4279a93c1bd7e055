// Module worker: boots Pyodide once, installs the pycore bundle and answers requests with
// pycore.browser.handle (JSON in, JSON out). Conversation text only passes through.
import { loadPyodide } from "./pyodide/pyodide.mjs";

const SITE = "/home/pyodide/site";
const timings = { started: performance.now(), booted: null };
let fs = null; // Pyodide's file system, where a request's files (import.js: an export's bytes) are written

const ready = (async () => {
  const pyodide = await loadPyodide({ indexURL: new URL("./pyodide/", import.meta.url).href });
  const bundle = await fetch(new URL("./pycore/pycore.zip", import.meta.url));
  if (!bundle.ok) throw new Error(`cannot read the pycore bundle (${bundle.status})`);
  pyodide.unpackArchive(new Uint8Array(await bundle.arrayBuffer()), "zip", { extractDir: SITE });
  pyodide.runPython(`import sys\nsys.path.insert(0, ${JSON.stringify(SITE)})`);
  const handle = pyodide.pyimport("pycore.browser").handle;
  fs = pyodide.FS;
  timings.booted = performance.now();
  return handle;
})();

self.addEventListener("message", async (event) => {
  const { id, request, files } = event.data;
  try {
    const handle = await ready;
    // [{path, bytes: ArrayBuffer}] (transferred, not copied): the op reads them there and removes them
    for (const f of files || []) fs.writeFile(f.path, new Uint8Array(f.bytes), { canOwn: true });
    self.postMessage({ id, result: handle(request) });
  } catch (err) {
    self.postMessage({ id, error: String(err && err.message ? err.message : err) });
  }
});
