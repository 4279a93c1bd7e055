#!/usr/bin/env python3
"""The GPU campaign: the seed paper's fixed-shape grid on one H100/H200, inside a short lease.

    python3 bench/gpu_campaign.py OUT_DIR [--minutes 6.5] [--repeats 2]
    python3 bench/gpu_campaign.py OUT_DIR --dry-run        # the whole flow on the CPU, tiny models

Needs torch, transformers and nvidia-ml-py (no vLLM, no network): models are built from the
catalog's config with random weights (bf16) by the transformers engine. Runs, in this order:
Llama-3.1-8B-shaped, the same with 16 layers instead of 32 (the paper's layer experiment) and
Qwen2.5-7B-shaped, over input {100, 300, 900} x output {100, 300, 900} x batch {1, 8, 32}.

Budget: everything, imports and idle measurement included, ends within ``--minutes`` of the
start. Idle power is measured once, each model is warmed up once, and points run in the order of
``grid.paper_priority`` (P1/P2/P3 at batch 1 and 32 first, then the input and output sweeps, ...).
Before each point its time is predicted (FLOPs/bytes estimate x the measured/estimated ratio of
the runs so far); a point that would overrun its model's share of the time is skipped and named.
Rows are appended and flushed as each point finishes, so a run cut short keeps what it measured.

Writes to OUT_DIR: ``promptwatt_<GPU>_<date>.csv`` (measured-CSV schema: copy it into
``data/measured/``), ``summary.md``/``summary.json`` (P1/P2/P3 ratios next to the paper's, counter
vs sampled difference, layer ratio, what was skipped) and ``campaign.log``.

A dry run uses a simulated meter: its rows say they are not measurements and carry no energy;
its summary is labelled SIMULATED.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import re
import shlex
import signal
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

T0 = time.monotonic()
REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from pycore.energy import catalog as cat  # noqa: E402
from pycore.errors import PromptWattError  # noqa: E402
from pycore.measure import budget, engines, runner  # noqa: E402
from pycore.measure.errors import MeterReadingError  # noqa: E402
from pycore.measure.grid import PAPER_RATIOS, Point, corner_prompts, grid, paper_priority, parse_counts  # noqa: E402
from pycore.measure.meter import SimulatedMeter  # noqa: E402

# (label, catalog id, overrides, share of the time)
MODELS: list[tuple[str, str, dict[str, Any], float]] = [
    ("llama-3.1-8b", "meta-llama/Llama-3.1-8B-Instruct", {}, 0.40),
    ("llama-3.1-8b-16-layers", "meta-llama/Llama-3.1-8B-Instruct", {"num_hidden_layers": 16}, 0.20),
    ("qwen2.5-7b", "Qwen/Qwen2.5-7B-Instruct", {}, 0.40),
]
# Dry runs: the same models shrunk to 2 layers of width 64 (the variant to 1 layer).
TINY = {
    "num_hidden_layers": 2,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "vocab_size": 512,
}
SUMMARY_RESERVE_S = 5.0
MIN_MODEL_S = 20.0  # less than this left: do not start loading another model
MAX_FAILURES = 3


class Stop(Exception):
    """SIGTERM/SIGINT: stop measuring, write the summary of what was done."""


def _on_signal(signum: int, frame: object) -> None:
    raise Stop(f"signal {signum}")


class Log:
    def __init__(self, path: Path | None) -> None:
        self.f = path.open("a", encoding="utf-8") if path else None

    def __call__(self, text: str = "") -> None:
        line = f"[{time.monotonic() - T0:6.1f}s] {text}"
        print(line, flush=True)
        if self.f:
            self.f.write(line + "\n")
            self.f.flush()


@dataclass
class Outcome:
    label: str
    model_id: str
    family: str = ""  # catalog id + overrides other than the layer count: pairs a layer variant with its base
    n_layers: int = 0
    results: list[runner.PointResult] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""
    load_s: float | None = None
    warmup_s: float | None = None


def energy_wh(res: runner.PointResult) -> float | None:
    """Mean energy per prompt of a point's runs (simulated in a dry run): None if any run had none."""
    values = [m.energy_j for m in res.runs]
    if not values or any(v is None for v in values):
        return None
    return statistics.fmean(values) / res.point.batch / 3600.0  # type: ignore[arg-type]


def run_points(
    model_run: Any,
    points: Sequence[Point],
    estimate: Callable[[Point], float],
    calib: budget.Calibrator,
    deadline: float,
    repeats: int,
    say: Callable[[str], None],
    now: Callable[[], float] = time.monotonic,
    after_failure: Callable[[], None] = lambda: None,
) -> tuple[list[runner.PointResult], list[tuple[str, str]]]:
    """Runs the points that fit before ``deadline`` (predicted), in order; names the ones skipped."""
    results: list[runner.PointResult] = []
    skipped: list[tuple[str, str]] = []
    failures = 0
    for p in points:
        est = estimate(p)
        predicted = calib.predict(est) * repeats
        left = deadline - now()
        if predicted > left:
            skipped.append((p.label, f"predicted {predicted:.1f} s > {max(left, 0.0):.1f} s left"))
            continue
        try:
            res = model_run.run_point(p)
        except Stop:
            raise
        except Exception as exc:  # noqa: BLE001 - out of memory, engine error: note it and go on
            failures += 1
            skipped.append((p.label, f"failed: {type(exc).__name__}: {str(exc)[:160]}"))
            say(f"  {p.label}: FAILED {type(exc).__name__}: {str(exc)[:160]}")
            after_failure()
            if failures >= MAX_FAILURES:
                say(f"  {MAX_FAILURES} failures in a row: giving up on this model")
                break
            continue
        failures = 0  # only failures in a row abandon the model
        if res.runs:
            calib.observe(est, statistics.fmean(m.seconds for m in res.runs))
        results.append(res)
        if res.error:
            skipped.append((p.label, res.error[:200]))
            say(f"  {p.label}: {res.error[:200]}")
            continue
        e = energy_wh(res)
        diff = [m.counter_vs_sampled_pct for m in res.runs]
        diff_s = f", sampled-counter {statistics.fmean(diff):+.2f}%" if diff and None not in diff else ""
        say(
            f"  {p.label}: {statistics.fmean(m.seconds for m in res.runs):.2f} s/run (predicted "
            f"{predicted / repeats:.2f}), "
            + (f"{e:.5g} Wh/prompt" if e is not None else "no energy")
            + diff_s
        )
    return results, skipped


# -- summary ----------------------------------------------------------------------------------------


def summarise(
    outcomes: list[Outcome],
    ctx: runner.Context | None,
    dry: bool,
    points: Sequence[Point],
    csv_path: Path | None,
    started: float,
) -> dict[str, Any]:
    corners = corner_prompts(points)
    models = []
    all_diffs: list[float] = []
    for o in outcomes:
        by_shape = {
            (r.point.input_tokens, r.point.output_tokens, r.point.batch): energy_wh(r)
            for r in o.results
            if not r.error
        }
        ratios = {}
        for b in sorted({p.batch for p in points}):
            e = {name: by_shape.get((i, out, b)) for name, (i, out) in corners.items()}
            if e["P1"]:
                ratios[b] = {
                    "P2/P1": e["P2"] / e["P1"] if e["P2"] else None,
                    "P3/P1": e["P3"] / e["P1"] if e["P3"] else None,
                }
        diffs = [
            m.counter_vs_sampled_pct
            for r in o.results
            for m in r.runs
            if m.counter_vs_sampled_pct is not None
        ]
        all_diffs += diffs
        models.append(
            {
                "label": o.label,
                "model_id": o.model_id,
                "points": len(by_shape),
                "error": o.error,
                "load_s": o.load_s,
                "warmup_s": o.warmup_s,
                "ratios_by_batch": ratios,
                "energy_wh": {f"{i}/{out}/b{b}": v for (i, out, b), v in sorted(by_shape.items())},
                "skipped": o.skipped,
                "counter_vs_sampled_pct": _stats(diffs),
            }
        )
    layer = _layer_ratios(outcomes)
    return {
        "dry_run": dry,
        "simulated": dry,
        "note": (
            "DRY RUN: simulated meter on the CPU; energies are SIMULATED, not measurements"
            if dry
            else "measured: NVML total-energy counter, gross GPU energy per prompt"
        ),
        "gpu": ctx.gpu if ctx else None,
        "gpu_name": ctx.meter_info.get("gpu_name") if ctx else None,
        "driver": ctx.meter_info.get("driver") if ctx else None,
        "idle_w": ctx.idle.watts if ctx and ctx.idle else None,
        "csv": str(csv_path) if csv_path else None,
        "corners": {k: list(v) for k, v in corners.items()},
        "paper_ratios": PAPER_RATIOS,
        "models": models,
        "layer_ratios": layer,
        "counter_vs_sampled_pct": _stats(all_diffs),
        "wall_s": time.monotonic() - started,
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _stats(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def _layer_ratios(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    """Energy of each layer variant over its base (the most layers, same family) at the same points."""
    out = []
    families: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if o.results and o.n_layers:
            families.setdefault(o.family, []).append(o)
    for members in families.values():
        base = max(members, key=lambda m: m.n_layers)
        theirs = {
            (r.point.input_tokens, r.point.output_tokens, r.point.batch): energy_wh(r) for r in base.results
        }
        for o in members:
            if o is base:
                continue
            mine = {
                (r.point.input_tokens, r.point.output_tokens, r.point.batch): energy_wh(r) for r in o.results
            }
            for shape in sorted(set(mine) & set(theirs)):
                if mine[shape] and theirs[shape]:
                    out.append(
                        {
                            "variant": o.label,
                            "base": base.label,
                            "shape": f"{shape[0]}/{shape[1]}/b{shape[2]}",
                            "layers_ratio": o.n_layers / base.n_layers,
                            "energy_ratio": mine[shape] / theirs[shape],
                        }
                    )  # type: ignore[operator]
    return out


def render(summary: dict[str, Any]) -> str:
    lines = [
        "# GPU campaign summary",
        "",
        f"**{summary['note']}**",
        "",
        f"GPU: {summary['gpu']} ({summary['gpu_name']}), driver {summary['driver']}, idle "
        + _w(summary["idle_w"])
        + f"; wall {summary['wall_s']:.0f} s; rows: {summary['csv']}",
        "",
        f"P1/P2/P3 = {summary['corners']} (input, output tokens); paper (A100 80GB, vLLM): P2/P1 "
        f"{summary['paper_ratios']['P2/P1']}x, P3/P1 {summary['paper_ratios']['P3/P1']}x",
        "",
        "| model | batch | P2/P1 | P3/P1 |",
        "|---|---|---|---|",
    ]
    fmt = lambda v: f"{v:.2f}x" if v is not None else "-"  # noqa: E731
    for m in summary["models"]:
        for b, r in m["ratios_by_batch"].items():
            lines.append(f"| {m['label']} | {b} | {fmt(r['P2/P1'])} | {fmt(r['P3/P1'])} |")
    cvs = summary["counter_vs_sampled_pct"]
    lines += [
        "",
        "Counter vs 10 Hz sampled energy, (sampled - counter)/counter: "
        + (
            f"median {cvs['median']:+.2f}%, min {cvs['min']:+.2f}%, max {cvs['max']:+.2f}% over {cvs['n']} runs"
            if cvs
            else "n/a"
        ),
        "",
    ]
    if summary["layer_ratios"]:
        lines += ["| variant / base | shape | layers ratio | energy ratio |", "|---|---|---|---|"]
        lines += [
            f"| {r['variant']} / {r['base']} | {r['shape']} | {r['layers_ratio']:.2f} | {r['energy_ratio']:.2f} |"
            for r in summary["layer_ratios"]
        ]
        lines.append("")
    for m in summary["models"]:
        lines.append(
            f"- {m['label']}: {m['points']} points measured, load {m['load_s'] or 0:.1f} s"
            + (f", ERROR {m['error']}" if m["error"] else "")
            + (
                f"; skipped {len(m['skipped'])}: " + "; ".join(f"{a} ({b})" for a, b in m["skipped"])
                if m["skipped"]
                else ""
            )
        )
    return "\n".join(lines) + "\n"


# -- main -------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path, help="folder for the CSV, summary and log")
    p.add_argument(
        "--minutes", type=float, default=6.5, help="wall-clock budget for everything (default 6.5)"
    )
    p.add_argument("--repeats", type=int, default=2, help="measured runs per point (default 2)")
    p.add_argument("--idle-seconds", type=float, default=5.0)
    p.add_argument("--inputs", default=None, help="default 100,300,900 (dry run: 8,16,32)")
    p.add_argument("--outputs", default=None, help="default 100,300,900 (dry run: 4,8,16)")
    p.add_argument("--batches", default=None, help="default 1,8,32 (dry run: 1,2,4)")
    p.add_argument("--models", default=None, help="comma-separated labels to run (default all)")
    p.add_argument("--dry-run", action="store_true", help="CPU, tiny models, simulated meter: tests the flow")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    dry = args.dry_run
    args.out.mkdir(parents=True, exist_ok=True)
    say = Log(args.out / "campaign.log")
    deadline = T0 + args.minutes * 60.0 - SUMMARY_RESERVE_S
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _on_signal)
    points = grid(
        parse_counts(args.inputs or ("8,16,32" if dry else "100,300,900"), "inputs"),
        parse_counts(args.outputs or ("4,8,16" if dry else "100,300,900"), "outputs"),
        parse_counts(args.batches or ("1,2,4" if dry else "1,8,32"), "batches"),
    )
    ordered = paper_priority(points)
    models = [m for m in MODELS if args.models is None or m[0] in args.models.split(",")]
    device = "cpu" if dry else "cuda"
    outcomes: list[Outcome] = []
    ctx: runner.Context | None = None
    csv_path: Path | None = None
    meter: Any = None
    code = 0
    try:
        rt = engines.describe_runtime()
        import transformers  # noqa: F401 - fail now, not after the idle measurement

        say(
            f"python {sys.version.split()[0]}, torch {rt['torch_version']} (CUDA {rt['cuda_version'] or '-'}), "
            f"transformers {transformers.__version__}; {'DRY RUN (CPU, simulated meter)' if dry else 'GPU run'}"
        )
        if dry:
            meter = SimulatedMeter()
        else:
            try:
                meter = runner.open_meter(device, 1)
            except PromptWattError as exc:
                if getattr(exc, "code", "") != "meter_unsupported":
                    raise
                say(f"WARNING: {exc}; measuring from 10 Hz power samples alone (rows say so)")
                meter = runner.open_meter(device, 1, use_counter=False)
        command = shlex.join(["python3", "bench/gpu_campaign.py", *(sys.argv[1:] if argv is None else argv)])
        try:
            ctx = runner.make_context(
                meter,
                device,
                command,
                idle_seconds=0.0 if dry else args.idle_seconds,
                warmup_runs=1,
                unknown_gpu_ok=True,
            )
        except MeterReadingError as exc:
            if dry or not getattr(meter, "use_counter", False):
                raise
            # A counter that reads but never advances (seen on some virtualised GPUs) would refuse every
            # point: better rows from the power samples, labelled so, than none from a scarce lease.
            say(f"WARNING: {exc}; measuring from 10 Hz power samples alone (rows say so)")
            meter.close()
            meter = runner.open_meter(device, 1, use_counter=False)
            ctx = runner.make_context(
                meter, device, command, idle_seconds=args.idle_seconds, warmup_runs=1, unknown_gpu_ok=True
            )
        say(
            f"GPU: {ctx.gpu} ({ctx.meter_info.get('gpu_name')}), driver {ctx.meter_info.get('driver')}, "
            f"clocks/limit {meter.clocks()}; idle {_w(ctx.idle.watts if ctx.idle else None)}"
        )
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
        safe = re.sub(r"[^A-Za-z0-9._-]", "-", ctx.gpu)  # the device tool returns only such file names
        csv_path = args.out / f"promptwatt_{safe}{'-dry-run' if dry else ''}_{stamp}.csv"
        gpu = None if dry else _catalog_gpu_or_h100(ctx.meter_info["gpu_name"], say)
        memory_gb = ctx.meter_info.get("gpu_memory_bytes", 0) / 1e9 if not dry else runner.host_memory_gb()
        precision = "fp32" if dry else "bf16"
        rates = budget.rates(gpu, 1, precision, engines.HF_ENGINE_ID)
        for i, (label, model_id, overrides, _share) in enumerate(models):
            left = deadline - time.monotonic()
            share = _share / sum(m[3] for m in models[i:])
            o = Outcome(label, model_id)
            outcomes.append(o)
            if left < MIN_MODEL_S:
                o.error = f"not started: {left:.0f} s left"
                say(f"{label}: {o.error}")
                continue
            model_deadline = time.monotonic() + left * share
            ov = (
                {**TINY, **overrides, **({"num_hidden_layers": 1} if overrides else {})}
                if dry
                else dict(overrides)
            )
            arch = cat.with_overrides(cat.load_catalog().get(model_id), **ov)
            o.model_id, o.n_layers = arch.id, arch.n_layers
            o.family = model_id + repr(sorted((k, v) for k, v in ov.items() if k != "num_hidden_layers"))
            say(f"== {label}: {arch.id}, {left * share:.0f} s of {left:.0f} s left")
            engine = engines.TransformersEngine(arch, device, 1, precision, seed=i)
            try:
                runner.check_fits(
                    arch, points, precision, 1, memory_gb, "the GPU has" if not dry else "RAM has"
                )
                mr = runner.ModelRun(
                    ctx,
                    arch,
                    model_id,
                    ov,
                    engine,
                    meter,
                    csv_path,
                    repeats=args.repeats,
                    seed=i,
                    on_bad_reading="skip",
                    say=say,
                )
                o.load_s = mr.load()
                o.warmup_s = mr.warmup(ordered[0])[0]
                calib = budget.Calibrator()
                calib.observe(budget.estimate_seconds(arch, ordered[0], rates), o.warmup_s)
                say(
                    f"  loaded in {o.load_s:.1f} s, warm-up {o.warmup_s:.2f} s ({ordered[0].label}); "
                    f"{engine.name} {engine.version}, {precision}"
                )
                o.results, o.skipped = run_points(
                    mr,
                    ordered,
                    lambda p, a=arch: budget.estimate_seconds(a, p, rates),
                    calib,
                    model_deadline,
                    args.repeats,
                    say,
                    after_failure=lambda: _free_cuda(device),
                )
                if o.skipped:
                    say(f"  skipped {len(o.skipped)}: " + "; ".join(f"{a} ({b})" for a, b in o.skipped))
            except Stop:
                raise
            except Exception as exc:  # noqa: BLE001 - one model failing must not lose the others
                o.error = f"{type(exc).__name__}: {str(exc)[:300]}"
                say(f"  {label} FAILED: {o.error}")
            finally:
                engine.close()
                gc.collect()
                _free_cuda(device)
    except Stop as exc:
        say(f"stopped by {exc}: writing what was measured")
        code = 1
    except PromptWattError as exc:
        say(f"ERROR: {exc}")
        code = 2
    finally:
        if meter is not None:
            meter.close()
        summary = summarise(outcomes, ctx, dry, points, csv_path, T0)
        (args.out / "summary.json").write_text(
            json.dumps(summary, indent=1, default=str) + "\n", encoding="utf-8"
        )
        text = render(summary)
        (args.out / "summary.md").write_text(text, encoding="utf-8")
        say("summary:\n" + text)
    return code


def _catalog_gpu_or_h100(name: str, say: Callable[[str], None]) -> Any:
    """The GPU's catalog record for the time estimates; an H100's if the catalog lacks it."""
    try:
        return runner.catalog_gpu(name)
    except PromptWattError:
        say(
            f"WARNING: {name!r} is not in pycore/data/gpus.csv: rows keep that name; estimating with an H100's rates"
        )
        return runner.catalog_gpu("H100-SXM")


def _w(watts: float | None) -> str:
    return f"{watts:.1f} W" if watts is not None else "n/a"


def _free_cuda(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.empty_cache()


if __name__ == "__main__":
    sys.exit(main())
