// Runs a Python script inside the real Pyodide (npm package) under Node, with a zip of files
// unpacked into its filesystem first. Used by the tests and benches: the same pure-Python code
// the extension runs, checked outside the browser.
//   node tools/pyodide_run.mjs BUNDLE.zip SCRIPT.py [DATA_FILE]  -> prints what the script prints
// DATA_FILE, if given, is copied to /args.json in Pyodide's filesystem.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

const [bundle, script, data] = process.argv.slice(2);
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pyodide = await loadPyodide({ indexURL: join(root, "node_modules", "pyodide") + "/" });
pyodide.unpackArchive(new Uint8Array(readFileSync(bundle)), "zip", { extractDir: "/home/pyodide/site" });
pyodide.runPython("import sys; sys.path.insert(0, '/home/pyodide/site')");
if (data) pyodide.FS.writeFile("/args.json", new Uint8Array(readFileSync(data)));
let out = "";
pyodide.setStdout({ batched: (s) => { out += s + "\n"; } });
await pyodide.runPythonAsync(readFileSync(script, "utf8"));
process.stdout.write(out);
