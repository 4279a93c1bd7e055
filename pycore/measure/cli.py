"""The `promptwatt measure` and `promptwatt report` subcommands (``register`` adds them to the main parser).

Bad input and unusable machines raise ``PromptWattError`` subclasses (no GPU, NVML missing, model
too big for the GPUs, bad meter reading), which the CLI turns into a message and exit code 2.
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add ``measure`` and ``report`` to the main parser's subcommands."""
    m = subparsers.add_parser(
        "measure",
        help="measure GPU energy per prompt over an input x output x batch grid (NVML counter)",
        description="Runs a model with random weights (no download) over fixed-shape prompts and appends one "
        "row per grid point to a CSV in the dataset schema, with provenance. On --device cpu the "
        "rows are NOT measurements: their energy columns are empty and say why.",
    )
    src = m.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="catalog id or alias, e.g. meta-llama/Llama-3.1-8B-Instruct")
    src.add_argument("--config", help="config.json (Hugging Face) or a catalog-style record {id, config}")
    m.add_argument(
        "--override",
        action="append",
        metavar="FIELD=VALUE",
        help="change a config field, e.g. num_hidden_layers=40 (repeatable): the paper's variants",
    )
    m.add_argument("--gpus", type=int, default=1, help="GPUs (tensor parallel with vLLM), default 1")
    m.add_argument("--inputs", default="100,300,900", help="input tokens per prompt, default 100,300,900")
    m.add_argument("--outputs", default="100,300,900", help="output tokens per prompt, default 100,300,900")
    m.add_argument("--batches", default="1,8,32", help="prompts per batch, default 1,8,32")
    m.add_argument("--repeats", type=int, default=3, help="measured runs per point, default 3")
    m.add_argument(
        "--warmup", type=int, default=1, help="warm-up runs before the points (not written), default 1"
    )
    m.add_argument(
        "--idle-seconds", type=float, default=5.0, help="idle power measured first, seconds (default 5)"
    )
    m.add_argument("--out", required=True, help="CSV to append to, e.g. data/measured/NAME.csv")
    m.add_argument(
        "--engine",
        choices=["auto", "vllm", "transformers"],
        default="auto",
        help="auto: vLLM if installed (GPU), else transformers",
    )
    m.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    m.add_argument("--precision", choices=["bf16", "fp32"], help="default bf16 on a GPU, fp32 on the CPU")
    m.add_argument("--seed", type=int, default=0)
    m.set_defaults(func=cmd_measure)

    r = subparsers.add_parser("report", help="the paper's analyses, regenerated from the dataset, as plots")
    r.add_argument("--out", default=None, help="folder (default reports/)")
    r.add_argument("--measured", default=None, help="folder of measured CSVs (default data/measured/)")
    r.set_defaults(func=cmd_report)


def cmd_measure(args: argparse.Namespace) -> int:
    from pycore.errors import InvalidInput
    from pycore.measure import engines, schema
    from pycore.measure.grid import grid, parse_counts, schedule
    from pycore.measure.models import parse_overrides, resolve
    from pycore.measure.runner import (
        HOST_MEMORY_USABLE,
        ModelRun,
        check_fits,
        host_memory_gb,
        make_context,
        open_meter,
    )

    overrides = parse_overrides(args.override)
    arch = resolve(args.model, args.config, overrides)
    base = resolve(args.model, args.config).id
    points = grid(
        parse_counts(args.inputs, "inputs"),
        parse_counts(args.outputs, "outputs"),
        parse_counts(args.batches, "batches"),
    )
    schedule(points, args.repeats, args.warmup)  # validates --repeats and --warmup before any work
    if args.gpus < 1:
        raise InvalidInput(f"--gpus must be at least 1, got {args.gpus}")
    if not (math.isfinite(args.idle_seconds) and args.idle_seconds >= 0):
        raise InvalidInput(
            f"--idle-seconds must be a number >= 0 (0: no idle reading), got {args.idle_seconds}"
        )
    out = Path(args.out)
    schema.check_out(out)  # before the model loads: a wrong --out must not cost the run
    kind = engines.choose(args.engine, args.device)
    gpus = args.gpus if args.device == "cuda" else 1
    engine = engines.make(
        kind,
        arch,
        device=args.device,
        gpus=gpus,
        precision=args.precision,
        seed=args.seed,
        max_batch=max(p.batch for p in points),
        max_context=max(p.input_tokens + p.output_tokens for p in points) + 8,
    )
    if args.device == "cpu":
        check_fits(
            arch,
            points,
            engine.precision,
            1,
            host_memory_gb(),
            "this machine's RAM has",
            HOST_MEMORY_USABLE,
            gpus_hint="on the CPU use a tiny variant, e.g. --override num_hidden_layers=2 --override hidden_size=64",
        )
    meter = open_meter(args.device, gpus)
    try:
        if args.device == "cuda":
            info = meter.describe()
            check_fits(
                arch,
                points,
                engine.precision,
                gpus,
                info["gpu_memory_bytes"] / 1e9,
                f"{gpus} x {info['gpu_name']} have",
            )
        command = shlex.join(["promptwatt", *(getattr(args, "argv", None) or sys.argv[1:])])
        ctx = make_context(
            meter, args.device, command, idle_seconds=args.idle_seconds, warmup_runs=args.warmup
        )
        if ctx.idle is not None:
            print(f"idle: {ctx.idle.watts:.1f} W over {ctx.idle.seconds:.1f} s ({ctx.gpu_count} x {ctx.gpu})")
        run = ModelRun(ctx, arch, base, overrides, engine, meter, out, repeats=args.repeats, seed=args.seed)
        print(
            f"loading {arch.id} on {engines.HF_ENGINE_ID if kind == 'transformers' else 'vLLM'} ({args.device})"
        )
        print(f"  loaded in {run.load():.1f} s: {engine.name} {engine.version}, {engine.precision}")
        warmups = [r for r in schedule(points, args.repeats, args.warmup) if r.warmup]
        if warmups:
            run.warmup(warmups[0].point, len(warmups))
        written = 0
        for p in points:
            res = run.run_point(p)
            if res.row is not None:
                written += 1
                energy = res.row.get("energy_wh")
                what = f"{energy:.6g} Wh/prompt" if energy is not None else "not a measurement"
                print(f"  {p.label}: {res.row['seconds']:.2f} s, {what}")
        print(
            f"wrote {written} row(s) to {out}"
            + ("" if meter.is_measurement else f" (NOT measurements: {getattr(meter, 'reason', '')})")
        )
    finally:
        engine.close()
        meter.close()
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from pycore.errors import InvalidInput
    from pycore.training import paper_report

    # a --measured that is not a folder used to be skipped silently: a report without the rows asked for
    if args.measured and not Path(args.measured).is_dir():
        raise InvalidInput(f"--measured {args.measured} is not a folder", "give the folder of measured CSVs")
    if args.out and Path(args.out).exists() and not Path(args.out).is_dir():
        raise InvalidInput(f"--out {args.out} is a file", "give the folder the report goes to")
    out = paper_report.write(
        Path(args.out) if args.out else paper_report.REPORTS, Path(args.measured) if args.measured else None
    )
    print(f"wrote {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """A parser with only these subcommands (tests; the main CLI registers them beside its own)."""
    p = argparse.ArgumentParser(prog="promptwatt")
    register(p.add_subparsers(dest="command", required=True))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from pycore.cli.commands import run

    return run(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
