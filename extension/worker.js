// Module worker: boots Pyodide once, installs the pycore bundle and answers requests with
// pycore.browser.handle (JSON in, JSON out). Conversation text only passes through.
//
// Pyodide starts from the memory snapshot build.py made (pycore.browser imported, caches warm):
// restoring it replaces Python's start-up and imports, most of a cold boot. Should it fail (it is
// tied to these exact Pyodide files), Python starts the plain way. The boot stages leave User
// Timing marks (pw:*), seen in DevTools and read by bench/bench_boot.py.
import { loadPyodide } from "./pyodide/pyodide.mjs";

const SITE = "/home/pyodide/site"; // also in tools/make_snapshot.mjs
let fs = null; // Pyodide's file system, where a request's files (import.js: an export's bytes) are written
const boot = { from: null, snapshotError: null }; // how it booted, for the offscreen document's "boot" query
performance.mark("pw:worker-start");

async function bytes(path) {
  const res = await fetch(new URL(path, import.meta.url));
  if (!res.ok) throw new Error(`cannot read ${path} (${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

const PAGE = 65536;

function isZero(bytes) {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
  return true;
}

/** Writes a memory image page by page, leaving out pages that are zero in both (they stay untouched). */
function writeChangedPages(heap, image) {
  if (image.byteOffset % 4 !== 0) return heap.set(image);
  for (let at = 0; at < image.length; at += PAGE) {
    const page = image.subarray(at, at + PAGE);
    if (page.length % 4 !== 0 || !isZero(page) || !isZero(heap.subarray(at, at + PAGE))) heap.set(page, at);
  }
}

/**
 * Pyodide's module factory, its snapshot restore made to skip the image's zero pages (unused heap
 * and stack, ~15 of 31 MB): never written, they are never resident, as in a plain boot. Its private
 * restoreSnapshot (Pyodide 314) writes the image with Module.HEAP8.set(image). Pages not written are
 * zero in the image and in memory, so memory ends up equal to the image. Should a later Pyodide
 * restore otherwise, the image is written whole, or the stand-in throws and the worker boots plainly
 * (tests/browser/test_boot.py would say so).
 */
async function createModule(settings) {
  const { default: createPyodideModule } = await import("./pyodide/pyodide.asm.mjs");
  const mod = await createPyodideModule(settings);
  const restore = mod.API.restoreSnapshot;
  mod.API.restoreSnapshot = (snapshot) => {
    const heap8 = mod.HEAP8;
    mod.HEAP8 = { set: (image) => writeChangedPages(mod.HEAPU8, image) };
    try {
      return restore(snapshot);
    } finally {
      mod.HEAP8 = heap8;
    }
  };
  return mod;
}

/** A promise's value handed over once: Pyodide keeps its options (and the 31 MB snapshot) for life. */
function once(promise) {
  let held = promise;
  return { then(resolve, reject) { const p = held; held = null; return p.then(resolve, reject); } };
}

const ready = (async () => {
  const indexURL = new URL("./pyodide/", import.meta.url).href;
  const bundle = bytes("./pycore/pycore.zip"); // read while Pyodide starts
  let pyodide;
  try {
    pyodide = await loadPyodide({
      indexURL, _loadSnapshot: once(bytes("./pycore/snapshot.bin")), createPyodideModule: createModule,
    });
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
  fs = pyodide.FS;
  performance.mark("pw:pycore-imported");
  return handle;
})();

self.addEventListener("message", async (event) => {
  const { id, request, files, query } = event.data;
  try {
    const handle = await ready;
    if (query === "boot") {
      self.postMessage({ id, result: JSON.stringify(boot) });
      return;
    }
    // [{path, bytes: ArrayBuffer}] (transferred, not copied): the op reads them there and removes them
    for (const f of files || []) fs.writeFile(f.path, new Uint8Array(f.bytes), { canOwn: true });
    self.postMessage({ id, result: handle(request) });
  } catch (err) {
    self.postMessage({ id, error: String(err && err.message ? err.message : err) });
  }
});
