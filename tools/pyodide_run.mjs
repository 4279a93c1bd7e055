// Runs a Python script inside the real Pyodide (npm package) under Node, with a zip of files
// unpacked into its filesystem first. Used by the tests and benches: the same pure-Python code
// the extension runs, checked outside the browser.
//   node tools/pyodide_run.mjs BUNDLE.zip SCRIPT.py [DATA_FILE] [--snapshot SNAPSHOT]
// DATA_FILE, if given, is copied to /args.json in Pyodide's filesystem. --snapshot boots from a
// memory snapshot of tools/make_snapshot.mjs, the way extension/worker.js does.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

const argv = process.argv.slice(2);
const at = argv.indexOf("--snapshot");
const snapshot = at >= 0 ? argv.splice(at, 2)[1] : null;
const [bundle, script, data] = argv;
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const indexURL = join(root, "node_modules", "pyodide") + "/";
const pyodide = await loadPyodide(snapshot ? { indexURL, _loadSnapshot: readFileSync(snapshot) } : { indexURL });
pyodide.unpackArchive(new Uint8Array(readFileSync(bundle)), "zip", { extractDir: "/home/pyodide/site" });
if (snapshot) pyodide.runPython("import random; random.seed()");
else pyodide.runPython("import sys; sys.path.insert(0, '/home/pyodide/site')");
if (data) pyodide.FS.writeFile("/args.json", new Uint8Array(readFileSync(data)));
let out = "";
pyodide.setStdout({ batched: (s) => { out += s + "\n"; } });
await pyodide.runPythonAsync(readFileSync(script, "utf8"));
process.stdout.write(out);
