"""The `promptwatt` command line. Inference commands use the standard library only; the
training commands import pycore.training lazily so a light install still runs `estimate`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from pycore import __version__
from pycore.cli import chat as chat_cli
from pycore.errors import DoesNotFit, InvalidInput, PromptWattError

EXIT_BAD_INPUT = 2


def _fmt_wh(x: float) -> str:
    return f"{x:.4g}"


def cmd_estimate(args: argparse.Namespace) -> int:
    from pycore.energy.predictor import default_predictor
    from pycore.energy.workload import Workload

    w = Workload(args.input, args.output, args.batch, args.gpus, args.precision)
    est = default_predictor().estimate(args.model, args.gpu, w)
    dep = None
    if args.requests is not None:
        from pycore.chat import impact
        from pycore.energy.service import service_cost

        if args.region is not None:
            args.region = impact.known_region(args.region)
        impact.check_pue(args.pue)
        impact.check_wue(args.wue)
        dep = service_cost(
            est,
            args.requests,
            args.per or "day",
            region=args.region,
            pue=args.pue,
            replicas=args.replicas,
            wue=args.wue,
        )
    elif any(x is not None for x in (args.per, args.region, args.pue, args.wue, args.replicas)):
        raise InvalidInput(
            "--per, --region, --pue, --wue and --replicas apply to a deployment: give --requests too"
        )
    from pycore.chat import impact as _impact
    from pycore.ranges import Range

    hw = _impact.hardware(est.gpu)
    embodied = Range.of(
        _impact.embodied_co2_g(
            _impact.busy_gpu_seconds(
                Range(est.energy_wh_low, est.energy_wh, est.energy_wh_high), hw.busy_w_per_gpu
            ),
            hw.kg_per_gpu,
            hw.lifetime_years,
            hw.utilisation,
        )
    )
    if args.json:
        out = est.as_dict()
        out.update(embodied.flat("embodied_co2_g"))
        if dep:
            out["deployment"] = dep.as_dict()
        print(json.dumps(out))
        return 0
    print(
        f"{est.model} on {est.gpus} x {est.gpu} ({est.precision}), {w.input_tokens:g} in / {w.output_tokens:g} out"
    )
    print(
        f"  energy per prompt: {_fmt_wh(est.energy_wh)} Wh  (range {_fmt_wh(est.energy_wh_low)} - "
        f"{_fmt_wh(est.energy_wh_high)} Wh)"
    )
    ensemble = default_predictor().ensemble
    if ensemble is not None and ensemble.trees:
        print(f"  physics estimate {_fmt_wh(est.physics_wh)} Wh x learned correction {est.correction:.3f}")
    else:
        print("  (physics roofline with fitted constants: the model that won held-out validation)")
    print(
        f"  embodied CO2e per prompt: {embodied.central:.3g} g  (range {embodied.low:.3g} - {embodied.high:.3g} g; "
        f"manufacturing of the GPUs and host, {hw.lifetime_years.central:g}-year life at "
        f"{hw.utilisation.central:.0%} utilisation)"
    )
    print(f"  prompts that fit in the KV cache: {est.prompts_fit:.4g}")
    print("  assumed:")
    for a in est.assumptions:
        print(f"    - {a}")
    print(f"  model artefact {est.model_version}")
    if dep:
        _print_deployment(dep)
    return 0


def _print_deployment(dep) -> None:  # noqa: ANN001 - a pycore.energy.service.ServiceCost
    def rng(x, unit: str, fmt: str = ",.4g") -> str:  # noqa: ANN001
        return f"{x.central:{fmt}} {unit}  ({x.low:{fmt}} - {x.high:{fmt}})"

    print(
        f"deployment: {dep.requests:,.10g} prompts per {dep.period}, grid {dep.region} "
        f"({dep.grid_g_per_kwh:g} g CO2e/kWh)"
    )
    print(f"  GPU energy:       {rng(dep.gpu_kwh, 'kWh')}")
    print(
        f"  at the wall:      {rng(dep.wall_kwh, 'kWh')}  (server overhead {dep.server_overhead.central:g}, "
        f"PUE {dep.pue.central:g})"
    )
    print(f"  CO2e of use:      {rng(dep.co2_kg, 'kg')}  (location-based)")
    print(
        f"  embodied CO2e:    {rng(dep.embodied_co2_kg, 'kg')}  (manufacturing of GPUs and hosts, by busy time / "
        "(lifetime x utilisation))"
    )
    print(
        f"  water:            {rng(dep.water_l, 'L')}  (on-site {rng(dep.water_onsite_l, 'L')}, WUE "
        f"{dep.wue.central:g} L per IT kWh; off-site, generating the electricity {rng(dep.water_offsite_l, 'L')})"
    )
    print(
        f"  mean GPU power:   {rng(dep.avg_gpu_power_w, 'W', ',.0f')}  (TDP of one replica: {dep.tdp_w_per_replica:,.0f} W;"
        f" replicas needed at least {dep.min_replicas})"
    )
    if dep.provisioned:
        p = dep.provisioned
        print(
            f"  with {p.replicas} replica(s) powered all {dep.period} ({p.gpu_hours:,.4g} GPU-hours, idle alone "
            f"{p.idle_floor_kwh:,.4g} kWh):"
        )
        print(f"    GPU energy:     {rng(p.gpu_kwh, 'kWh')}")
        print(f"    at the wall:    {rng(p.wall_kwh, 'kWh')}")
        print(f"    CO2e:           {rng(p.co2_kg, 'kg')}")
        print(
            f"    embodied CO2e:  {rng(p.embodied_co2_kg, 'kg')}  (the replicas' share of their hardware's life)"
        )
        print(
            f"    busy share:     {p.busy_share.central:.1%}  ({p.busy_share.low:.1%} - {p.busy_share.high:.1%})"
        )
    for n in dep.notes:
        print(f"    - {n}")


def cmd_models(args: argparse.Namespace) -> int:
    from pycore.energy.catalog import load_catalog, parameter_breakdown

    rows = []
    for arch in load_catalog():
        p = parameter_breakdown(arch)
        rows.append(
            {
                "id": arch.id,
                "total_params_b": round(p.total / 1e9, 3),
                "active_params_b": round(p.active / 1e9, 3),
                "layers": arch.n_layers,
                "attention": arch.attention_kind,
                "moe": arch.is_moe,
            }
        )
    if args.json:
        print(json.dumps(rows))
        return 0
    print(f"{'model':<52} {'total B':>9} {'active B':>9} {'layers':>6}  attention")
    for r in rows:
        moe = " MoE" if r["moe"] else ""
        print(
            f"{r['id']:<52} {r['total_params_b']:>9.2f} {r['active_params_b']:>9.2f} {r['layers']:>6}  {r['attention']}{moe}"
        )
    return 0


def cmd_gpus(args: argparse.Namespace) -> int:
    from pycore.energy.hardware import load_gpus

    gpus = list(load_gpus())
    if args.json:
        print(json.dumps([{k: v for k, v in g.__dict__.items()} for g in gpus]))
        return 0
    print(f"{'GPU':<16} {'memory GB':>9} {'GB/s':>6} {'bf16 TF':>8} {'fp8 TF':>7} {'TDP W':>6}  source")
    for g in gpus:
        fp8 = f"{g.tflops_fp8:g}" if g.tflops_fp8 else "-"
        print(
            f"{g.name:<16} {g.memory_gb:>9g} {g.bandwidth_gb_s:>6g} {g.tflops_bf16:>8g} {fp8:>7} {g.tdp_w:>6g}  {g.source[:60]}"
        )
    return 0


def cmd_dataset(args: argparse.Namespace) -> int:
    from pycore.training import dataset

    df = dataset.build()
    dataset.write(df)
    print(f"wrote {dataset.TIDY} ({len(df)} rows)")
    print(df.groupby(["source", "use"]).size().to_string())
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pycore.training import pipeline

    out = Path(args.out) if args.out else pipeline.ARTEFACT_PATH
    reports = Path(args.reports) if args.reports else pipeline.REPORTS
    pipeline.train(repeats=args.repeats, out=out, reports=reports, quick=args.quick)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pycore.training import pipeline

    log = (lambda *a, **k: print(*a, file=sys.stderr, **k)) if args.json else print
    reports = Path(args.reports) if args.reports else pipeline.REPORTS
    summary = pipeline.train(
        repeats=args.repeats, out=None, reports=reports, log=log, quick=args.quick
    ).summary
    if args.json:
        keys = (
            "chosen",
            "lomo_mape",
            "lomo_r2",
            "lomo_rmse",
            "lomo_mae",
            "cv_mape",
            "cv_r2",
            "training_rows",
            "architecture_groups",
        )
        out = {k: summary[k] for k in keys}
        out["models"] = {
            r["model"]: {
                "lomo_mape": r["pooled_mape"],
                "lomo_r2": r["pooled_r2"],
                "cv_mape": next(c["mape"] for c in summary["cv"] if c["model"] == r["model"]),
            }
            for r in summary["lomo"]
        }
        print(json.dumps(out))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="promptwatt", description="GPU energy of LLM inference, from measurements."
    )
    p.add_argument("--version", action="version", version=f"promptwatt {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("estimate", help="energy per prompt of a model on GPUs")
    e.add_argument(
        "--model", required=True, help="catalog id or alias, e.g. meta-llama/Llama-3.1-8B-Instruct"
    )
    e.add_argument("--gpu", required=True, help="GPU name, e.g. H100-SXM (see `promptwatt gpus`)")
    e.add_argument("--gpus", type=int, default=1, help="GPU count (tensor parallel), default 1")
    e.add_argument("--batch", type=float, default=1.0, help="prompts running concurrently, default 1")
    e.add_argument("--input", type=float, required=True, help="input tokens per prompt")
    e.add_argument("--output", type=float, required=True, help="output tokens per prompt")
    e.add_argument("--precision", choices=["bf16", "fp8", "fp4"], default="bf16")
    e.add_argument(
        "--requests",
        type=float,
        help="prompts served per --per period: adds deployment totals (kWh, kg CO2e)",
    )
    e.add_argument(
        "--per", choices=["hour", "day", "month", "year"], help="period of --requests (default day)"
    )
    e.add_argument("--region", help="ISO country code of the data centre's grid (default: world average)")
    e.add_argument("--pue", type=float, help="the facility's PUE (default: industry average range)")
    e.add_argument(
        "--wue",
        type=float,
        help="the facility's on-site water use, litres per IT kWh, >= 0 (default: industry range)",
    )
    e.add_argument(
        "--replicas",
        type=int,
        help="copies of this deployment kept powered all period: adds the idle capacity's energy",
    )
    e.add_argument("--json", action="store_true", help="print one JSON object")
    e.set_defaults(func=cmd_estimate)

    m = sub.add_parser("models", help="list the architecture catalog")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=cmd_models)
    g = sub.add_parser("gpus", help="list the GPU catalog")
    g.add_argument("--json", action="store_true")
    g.set_defaults(func=cmd_gpus)

    d = sub.add_parser("dataset", help="rebuild data/measurements.csv from data/raw")
    d.set_defaults(func=cmd_dataset)

    for name, func, helptext in (
        ("train", cmd_train, "compare all models, ship the best by held-out error"),
        ("validate", cmd_validate, "held-out metrics of every model (no artefact written)"),
    ):
        t = sub.add_parser(name, help=helptext)
        t.add_argument("--repeats", type=int, default=5, help="repeats of grouped 5-fold CV (default 5)")
        t.add_argument("--reports", help="folder for the report (default reports/)")
        t.add_argument(
            "--quick", action="store_true", help="a small, fast run (smoke test; numbers not for quoting)"
        )
        if name == "train":
            t.add_argument("--out", help="artefact path (default assets/energy_model.json)")
        else:
            t.add_argument(
                "--json", action="store_true", help="print one JSON object with the held-out metrics"
            )
        t.set_defaults(func=func)

    chat_cli.register(sub)
    from pycore.measure import cli as measure_cli  # imports torch lazily, only when a measurement runs

    measure_cli.register(sub)
    return p


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> int:
    """Parses and dispatches; bad input of any kind is one line on stderr and exit status 2."""
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]  # provenance of measured rows
    try:
        return int(args.func(args) or 0)
    except DoesNotFit as exc:
        print(f"promptwatt: {exc.message}; {exc.hint}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except PromptWattError as exc:
        print(f"promptwatt: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # the reader went away (`promptwatt history x.zip --json | head`): stop quietly, and point stdout
        # at /dev/null so that the interpreter's last flush does not raise again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
