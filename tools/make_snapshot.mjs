// Builds the extension's Pyodide memory snapshot (build.py runs it): boots the pinned npm Pyodide
// under Node, writes the pycore bundle's files into its file system, imports pycore.browser, runs
// pycore.browser.prewarm.warm() and saves Pyodide's memory. extension/worker.js restores it instead of
// starting Python (~3 s of a cold boot in Chromium here).
//   node tools/make_snapshot.mjs PYODIDE_DIR SITE_DIR OUT
// SITE_DIR holds the unpacked pycore.zip. The output is byte-identical from one run to the next:
// entropy, clocks and the hash seed are fixed for this process (the worker reseeds `random`).
import nodeCrypto from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const SITE = "/home/pyodide/site"; // where the worker unpacks pycore.zip

// Deterministic stand-ins for this build process only (xorshift32; a counting clock).
let state = 0x9e3779b9;
nodeCrypto.randomFillSync = (view) => {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  for (let i = 0; i < bytes.length; i++) {
    state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
    bytes[i] = state & 255;
  }
  return view;
};
const EPOCH = Date.UTC(2026, 0, 1);
Date.now = () => EPOCH;
let ticks = 0;
performance.now = () => (ticks += 0.01);

const [pyodideDir, siteDir, out] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(join(pyodideDir, "pyodide.mjs")).href);
const pyodide = await loadPyodide({
  indexURL: pyodideDir + "/", _makeSnapshot: true, _sysExecutable: "./this.program", // the browser's default
  env: { PYTHONHASHSEED: "0" },
});

function copyTree(dir, dest) {
  pyodide.FS.mkdirTree(dest);
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copyTree(path, `${dest}/${name}`);
    else pyodide.FS.writeFile(`${dest}/${name}`, readFileSync(path));
  }
}
copyTree(siteDir, SITE);
const warmed = pyodide.runPython(`
import sys
sys.path.insert(0, ${JSON.stringify(SITE)})
import pycore.browser
from pycore.browser.prewarm import warm
n = warm()
# No finder may remember this file system's directories: the worker's is a new one.
import gc, importlib
importlib.invalidate_caches()
sys.path_importer_cache.clear()
gc.collect()
n`);
writeFileSync(out, pyodide.makeMemorySnapshot());
console.log(`snapshot: ${warmed} labels warmed -> ${out}`);
