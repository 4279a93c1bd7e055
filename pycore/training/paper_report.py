"""`promptwatt report`: the seed paper's Section IV analyses, regenerated from the dataset.

Every figure says which rows it used (source and count), and every analysis the rows cannot
support yet says so instead of drawing from rows that do not answer it: the public sources have no
fixed-shape prompts (ML.ENERGY's input lengths are per-task estimates and its outputs sampled
lengths), no architecture variants, and ML.ENERGY's batch is the engine's mean concurrency.
Rows of ``promptwatt measure`` (source ``promptwatt``) are fixed-shape and can answer all of them.

Needs the ``train`` extra (pandas, matplotlib). Writes ``paper_analyses.md`` and ``paper_*.png``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pycore.measure import schema  # noqa: E402
from pycore.measure.grid import PAPER_PROMPTS, PAPER_RATIOS  # noqa: E402
from pycore.measure.models import architecture_of, split_variant_id  # noqa: E402
from pycore.training import dataset  # noqa: E402

REPORTS = dataset.REPO / "reports"
OURS = schema.SOURCE
PAPER_SETUP = "all models measured on one A100 80GB (Fig. 1 shows nine), vLLM, CodeCarbon sampling NVML power"


def _used(df: pd.DataFrame) -> str:
    if df.empty:
        return "no rows"
    counts = df.groupby("source").size()
    return ", ".join(f"{src}: {n}" for src, n in counts.items()) + f" ({len(df)} rows)"


def _group_label(keys: Iterable[object]) -> str:
    return " / ".join(str(k) for k in keys)


# -- P1/P2/P3 -------------------------------------------------------------------------------------


def paper_prompt_ratios(df: pd.DataFrame) -> pd.DataFrame:
    """E(P2)/E(P1) and E(P3)/E(P1) for every group that has all three exact shapes."""
    shapes = {name: io for name, io in PAPER_PROMPTS.items()}
    keys = ["source", "engine", "model_id", "gpu", "gpu_count", "batch"]
    out = []
    for key, g in df.groupby(keys, sort=True):
        e = {}
        for name, (i, o) in shapes.items():
            hit = g[(g.input_tokens == i) & (g.output_tokens == o)]
            if len(hit):
                e[name] = float(hit.energy_wh.mean())
        if len(e) == 3 and e["P1"] > 0:
            out.append(
                {
                    **dict(zip(keys, key, strict=True)),
                    "P1_wh": e["P1"],
                    "P2_wh": e["P2"],
                    "P3_wh": e["P3"],
                    "P2/P1": e["P2"] / e["P1"],
                    "P3/P1": e["P3"] / e["P1"],
                }
            )
    return pd.DataFrame(out, columns=[*keys, "P1_wh", "P2_wh", "P3_wh", "P2/P1", "P3/P1"])


def _predict(
    model_id: str, gpu: str, gpus: int, precision: str, i: float, o: float, b: float
) -> float | None:
    """The shipped predictor's estimate (vLLM 0.11 serving), or None for a model it cannot resolve."""
    from pycore.energy.predictor import default_predictor
    from pycore.energy.workload import Workload
    from pycore.errors import PromptWattError

    try:
        return default_predictor().estimate(model_id, gpu, Workload(i, o, b, gpus, precision)).energy_wh
    except PromptWattError:
        return None


def predictor_vs_ours(df: pd.DataFrame) -> pd.DataFrame:
    """measured / predicted for our rows of catalog models (variants and --config models left out)."""
    ours = df[(df.source == OURS) & ~df.model_id.str.contains("[", regex=False)]
    rows = []
    for r in ours.itertuples():
        pred = _predict(
            r.model_id,
            r.gpu,
            int(r.gpu_count),
            r.precision if r.precision != "fp32" else "bf16",
            r.input_tokens,
            r.output_tokens,
            r.batch,
        )
        if pred:
            rows.append(
                {
                    "engine": r.engine,
                    "model_id": r.model_id,
                    "input_tokens": r.input_tokens,
                    "output_tokens": r.output_tokens,
                    "batch": r.batch,
                    "ratio": r.energy_wh / pred,
                }
            )
    return pd.DataFrame(
        rows, columns=["engine", "model_id", "input_tokens", "output_tokens", "batch", "ratio"]
    )


# -- figures --------------------------------------------------------------------------------------


def _tokens_figure(df: pd.DataFrame, out: Path) -> list[str]:
    ours = df[df.source == OURS]
    jb = df[(df.source == "joulebench") & (df.batch == 1)]
    mle = df[df.source.str.startswith("ml_energy")]
    fig, (ax_in, ax_out) = plt.subplots(1, 2, figsize=(11, 4.6))
    notes = []
    if len(ours):
        min_out, min_in = ours.output_tokens.min(), ours.input_tokens.min()
        for key, g in ours[ours.output_tokens == min_out].groupby(["model_id", "gpu", "batch"]):
            g = g.sort_values("input_tokens")
            ax_in.plot(
                g.input_tokens, g.energy_wh, "o-", label=f"{key[0].rpartition('/')[2]} {key[1]} b{key[2]:g}"
            )
        for key, g in ours[ours.input_tokens == min_in].groupby(["model_id", "gpu", "batch"]):
            g = g.sort_values("output_tokens")
            ax_out.plot(
                g.output_tokens, g.energy_wh, "o-", label=f"{key[0].rpartition('/')[2]} {key[1]} b{key[2]:g}"
            )
        notes.append(
            f"lines: {OURS} fixed-shape rows (input sweep at {min_out:g} output tokens, "
            f"output sweep at {min_in:g} input tokens), {len(ours)} rows"
        )
    ax_in.scatter(
        jb.input_tokens, jb.energy_wh_gross, s=10, alpha=0.5, c="grey", label="joulebench, batch 1 (gross)"
    )
    notes.append(
        f"input panel, grey: JouleBench batch-1 rows ({len(jb)}), gross energy, recorded mean input "
        "lengths (13-97 tokens; outputs mostly 200): a narrow input range, other models mixed"
    )
    for src, marker in (("ml_energy_v3", "o"), ("ml_energy_v2", "s")):
        s = mle[mle.source == src]
        ax_out.scatter(s.output_tokens, s.energy_wh, s=8, alpha=0.35, marker=marker, label=src)
    notes.append(
        f"output panel, points: ML.ENERGY rows ({len(mle)}): mean output lengths of sampled tasks, many "
        "models and batch sizes mixed; their input lengths are per-task estimates, so they are "
        "not plotted against input"
    )
    for ax, what in ((ax_in, "input"), (ax_out, "output")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"{what} tokens per prompt")
        ax.set_ylabel("GPU energy per prompt (Wh)")
        ax.legend(fontsize=6)
    fig.suptitle(f"Energy vs input and output tokens - rows: {_used(pd.concat([ours, jb, mle]))}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "paper_tokens.png", dpi=120)
    plt.close(fig)
    return notes


def _batch_figure(df: pd.DataFrame, out: Path) -> tuple[list[str], pd.DataFrame]:
    """Per-prompt energy vs batch, one line per group with three or more batch sizes."""
    groups = [
        (OURS, ["model_id", "gpu", "gpu_count", "input_tokens", "output_tokens"], "exact batch"),
        ("joulebench", ["model_id", "task"], "exact batch (HF generate)"),
        ("ml_energy_v3", ["model_id", "task", "gpu", "gpu_count"], "mean concurrency at each max_num_seqs"),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4))
    notes, used = [], []
    for ax, (src, keys, what) in zip(axes, groups, strict=True):
        rows = df[df.source == src]
        n_lines = 0
        for key, g in rows.groupby(keys):
            if g.batch.nunique() < 3:
                continue
            g = g.sort_values("batch")
            used.append(g)
            if n_lines < 14:  # more lines are counted but not drawn, to keep the figure legible
                ax.plot(
                    g.batch,
                    g.energy_wh_gross,
                    ".-",
                    lw=0.8,
                    label=_group_label(k if not isinstance(k, str) else k.rpartition("/")[2] for k in key)[
                        :48
                    ],
                )
            n_lines += 1
        ax.set_title(f"{src}: {what}\n{n_lines} groups", fontsize=8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("batch (prompts)")
        ax.set_ylabel("gross energy per prompt (Wh)")
        if n_lines:
            ax.legend(fontsize=5)
        else:
            ax.text(0.5, 0.5, "no rows yet", ha="center", va="center", transform=ax.transAxes)
        notes.append(f"{src}: {n_lines} groups of {keys} with >= 3 batch sizes ({what})")
    used_df = pd.concat(used) if used else df.iloc[:0]
    fig.suptitle(f"Per-prompt energy vs batch size - rows: {_used(used_df)}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "paper_batch.png", dpi=120)
    plt.close(fig)
    return notes, used_df


def _gpu_count_figure(df: pd.DataFrame, out: Path) -> tuple[list[str], pd.DataFrame]:
    """Per-prompt energy vs GPU count, same model, task, GPU and max_num_seqs."""
    keys = ["source", "model_id", "task", "gpu", "max_num_seqs"]
    used = [g.sort_values("gpu_count") for _, g in df.groupby(keys) if g.gpu_count.nunique() >= 2]
    fig, ax = plt.subplots(figsize=(7, 4.8))
    for g in used[:24]:
        r = g.iloc[0]
        ax.plot(
            g.gpu_count,
            g.energy_wh_gross,
            ".-",
            lw=0.8,
            label=f"{r.model_id.rpartition('/')[2][:28]} {r.gpu} {r.task} mns{r.max_num_seqs}",
        )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("GPUs (tensor parallel)")
    ax.set_ylabel("energy per prompt (Wh)")
    used_df = pd.concat(used) if used else df.iloc[:0]
    ax.set_title(
        f"Per-prompt energy vs GPU count - rows: {_used(used_df)}\n({len(used)} groups, "
        f"{min(len(used), 24)} drawn)",
        fontsize=8,
    )
    if used:
        ax.legend(fontsize=4.5)
    fig.tight_layout()
    fig.savefig(out / "paper_gpus.png", dpi=120)
    plt.close(fig)
    note = (
        f"{len(used)} groups of {keys} measured at two or more GPU counts; at a fixed max_num_seqs the "
        "mean batch differs between counts (the engine fits more prompts in more memory)"
    )
    return [note], used_df


def _variant_table(df: pd.DataFrame, field: str) -> pd.DataFrame:
    """Our rows of a base model and its variants that change ``field`` alone, with that field's value."""
    ours = df[df.source == OURS].copy()
    if ours.empty:
        return ours
    split = [split_variant_id(m) for m in ours.model_id]
    ours["base"] = [b for b, _ in split]
    ours["others"] = [repr(sorted((k, v) for k, v in o.items() if k != field)) for _, o in split]
    ours["varied"] = [field in o for _, o in split]
    values = []
    for m in ours.model_id:
        try:
            a = architecture_of(m)
            values.append(a.n_layers if field == "num_hidden_layers" else a.n_kv_heads)
        except Exception:  # noqa: BLE001 - a custom --config model: no catalog base to compare with
            values.append(np.nan)
    ours["value"] = values
    keep = []
    for _, g in ours.groupby(
        ["base", "others", "engine", "gpu", "gpu_count", "input_tokens", "output_tokens", "batch"]
    ):
        if g.value.nunique() >= 2 and g.varied.any():
            keep.append(g)
    return pd.concat(keep) if keep else ours.iloc[:0]


def _variant_figure(
    df: pd.DataFrame, field: str, out: Path, name: str, xlabel: str
) -> tuple[list[str], pd.DataFrame]:
    table = _variant_table(df, field)
    if table.empty:
        return [
            f"cannot be made yet: no {OURS} rows of a model and a variant differing in {field} alone "
            f"(run `promptwatt measure --override {field}=...`)"
        ], table
    fig, ax = plt.subplots(figsize=(6.5, 4.6))
    for key, g in table.groupby(["base", "input_tokens", "output_tokens", "batch"]):
        g = g.sort_values("value")
        ax.plot(
            g.value, g.energy_wh, "o-", label=f"{key[0].rpartition('/')[2]} {key[1]:g}/{key[2]:g} b{key[3]:g}"
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel("energy per prompt (Wh)")
    ax.set_yscale("log")
    ax.set_title(f"{xlabel} - rows: {_used(table)}", fontsize=8)
    ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(out / name, dpi=120)
    plt.close(fig)
    return [f"{len(table)} {OURS} rows of models and their {field} variants"], table


def _layer_ratios(table: pd.DataFrame) -> list[str]:
    """Energy ratio of each layer variant to its base at the same point, next to the layer ratio."""
    lines = []
    for key, g in table.groupby(["base", "input_tokens", "output_tokens", "batch"]):
        g = g.sort_values("value")
        top = g.iloc[-1]
        for _, r in g.iloc[:-1].iterrows():
            lines.append(
                f"| {key[0]} | {key[1]:g}/{key[2]:g} | {key[3]:g} | {r.value:g} / {top.value:g} = "
                f"{r.value / top.value:.2f} | {r.energy_wh / top.energy_wh:.2f} |"
            )
    return lines


# -- meter quality (provenance of our rows) -------------------------------------------------------


def meter_table(measured: Path) -> pd.DataFrame:
    rows = []
    if measured.is_dir():
        for path in sorted(measured.glob("*.csv")):
            rows += [dict(r, file=path.name) for r in schema.read_rows(path) if schema.is_measurement(r)]
    if not rows:
        return pd.DataFrame()
    t = pd.DataFrame(rows)
    for c in (
        "counter_vs_sampled_pct",
        "repeat_spread_pct",
        "idle_w",
        "power_w",
        "energy_wh",
        "energy_wh_net",
    ):
        t[c] = pd.to_numeric(t[c], errors="coerce")
    return t


# -- the report -----------------------------------------------------------------------------------


def write(out: Path = REPORTS, measured: Path | None = None) -> Path:
    measured = measured if measured is not None else dataset.MEASURED
    out.mkdir(parents=True, exist_ok=True)
    df = dataset.build(measured)
    ours = df[df.source == OURS]
    md = [
        "# The paper's analyses, regenerated from the dataset",
        "",
        "`promptwatt report` (pycore/measure/report.py). Rows: " + _used(df) + ". "
        f"Rows of `promptwatt measure` ({OURS}): {len(ours)}"
        + (
            ""
            if len(ours)
            else " - none yet, so the analyses that need fixed-shape prompts or architecture "
            "variants cannot be made; they say so below."
        )
        + "",
        "",
    ]

    md += ["## Energy vs input and output tokens; P1/P2/P3", "", "![tokens](paper_tokens.png)", ""]
    md += [f"- {n}" for n in _tokens_figure(df, out)]
    ratios = paper_prompt_ratios(df)
    md += [
        "",
        f"Paper (Section IV-A, {PAPER_SETUP}): P2 (900 in/100 out) = **{PAPER_RATIOS['P2/P1']}x** P1 "
        f"(100/100), P3 (100/900) = **{PAPER_RATIOS['P3/P1']:.1f}x** P1, across models.",
        "",
    ]
    if ratios.empty:
        md += [
            "Ours: **cannot be made yet** - no group of rows (same source, engine, model, GPU, GPU count and "
            "batch) has all three exact shapes. The public data has none: ML.ENERGY's inputs are per-task "
            "estimates and its outputs sampled means; JouleBench's prompts are 13-97 tokens in, mostly "
            "200 out. `bench/gpu_campaign.py` measures them first.",
            "",
        ]
    else:
        md += [
            "| source | engine | model | GPU | batch | P1 Wh | P2/P1 | P3/P1 | predictor P2/P1 | predictor P3/P1 |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for _, r in ratios.iterrows():
            pred = {
                name: _predict(r.model_id, r.gpu, int(r.gpu_count), "bf16", i, o, r.batch)
                for name, (i, o) in PAPER_PROMPTS.items()
            }
            pr = [f"{pred[n] / pred['P1']:.2f}" if pred[n] and pred["P1"] else "-" for n in ("P2", "P3")]
            md.append(
                f"| {r.source} | {r.engine} | {r.model_id} | {r.gpu_count:g} x {r.gpu} | {r.batch:g} | "
                f"{r.P1_wh:.4g} | {r['P2/P1']:.2f} | {r['P3/P1']:.2f} | {pr[0]} | {pr[1]} |"
            )
        md += [
            "",
            f"Mean over these {len(ratios)} groups: P2/P1 = {ratios['P2/P1'].mean():.2f}x "
            f"(paper {PAPER_RATIOS['P2/P1']}x), P3/P1 = {ratios['P3/P1'].mean():.2f}x (paper "
            f"{PAPER_RATIOS['P3/P1']:.1f}x). Engines and GPUs differ from the paper's (see the table).",
            "",
        ]

    vs = predictor_vs_ours(df)
    md += ["### The shipped predictor on our rows", ""]
    if vs.empty:
        md += ["No rows of ours for a catalog model yet.", ""]
    else:
        md += [
            "measured / predicted (the predictor describes vLLM 0.11 serving; transformers rows are expected "
            "above 1). The input-length effect is the trend down the first table: the public training data "
            "has no input-length sweep.",
            "",
            "| engine | input tokens (at the shortest output) | rows | median measured/predicted |",
            "|---|---|---|---|",
        ]
        short = vs[vs.output_tokens == vs.output_tokens.min()]
        for (engine, i), g in short.groupby(["engine", "input_tokens"]):
            md.append(f"| {engine} | {i:g} | {len(g)} | {g.ratio.median():.2f} |")
        md += [
            "",
            "| engine | output tokens (at the shortest input) | rows | median measured/predicted |",
            "|---|---|---|---|",
        ]
        short = vs[vs.input_tokens == vs.input_tokens.min()]
        for (engine, o), g in short.groupby(["engine", "output_tokens"]):
            md.append(f"| {engine} | {o:g} | {len(g)} | {g.ratio.median():.2f} |")
        md.append("")

    md += ["## Per-prompt energy vs batch size", "", "![batch](paper_batch.png)", ""]
    notes, _ = _batch_figure(df, out)
    md += [f"- {n}" for n in notes] + [""]

    md += ["## Per-prompt energy vs number of layers", ""]
    notes, layers = _variant_figure(df, "num_hidden_layers", out, "paper_layers.png", "decoder layers")
    if not layers.empty:
        md += [
            "![layers](paper_layers.png)",
            "",
            "| base | in/out | batch | layers ratio | energy ratio |",
            "|---|---|---|---|---|",
            *_layer_ratios(layers),
            "",
        ]
    md += [f"- {n}" for n in notes] + [""]

    md += ["## Per-prompt energy vs GPU count", "", "![gpus](paper_gpus.png)", ""]
    notes, _ = _gpu_count_figure(df, out)
    md += [f"- {n}" for n in notes] + [""]

    md += ["## MHA / GQA / MQA", ""]
    notes, attn = _variant_figure(
        df, "num_key_value_heads", out, "paper_attention.png", "KV heads (MQA=1 ... MHA=heads)"
    )
    if not attn.empty:
        md += ["![attention](paper_attention.png)", ""]
    md += [f"- {n}" for n in notes] + [""]

    md += ["## Meter: NVML counter vs 10 Hz power sampling, idle, repeat spread", ""]
    t = meter_table(measured)
    if t.empty:
        md += [
            "No measured rows yet: the counter-vs-sampled difference (what a CodeCarbon-style sampler "
            "would have reported instead of the counter) appears here once `data/measured/` has rows.",
            "",
        ]
    else:
        md += [
            "| GPU | engine | rows | idle W | sampled - counter, median % | min % | max % | repeat spread, median % |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for (gpu, engine), g in t.groupby(["gpu", "engine"]):
            md.append(
                f"| {gpu} | {engine} | {len(g)} | {g.idle_w.median():.1f} | "
                f"{g.counter_vs_sampled_pct.median():+.2f} | {g.counter_vs_sampled_pct.min():+.2f} | "
                f"{g.counter_vs_sampled_pct.max():+.2f} | {g.repeat_spread_pct.median():.2f} |"
            )
        md += [
            "",
            "Energies are gross (what the counter sees); `energy_wh_net` in data/measured/*.csv subtracts "
            "the idle draw.",
            "",
        ]
    path = out / "paper_analyses.md"
    path.write_text("\n".join(md) + "\n", encoding="utf-8")
    return path
