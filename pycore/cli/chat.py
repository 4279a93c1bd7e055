"""The `promptwatt tokens` and `promptwatt chat` subcommands (registered by ``cli.build_parser``).

They give the command line what the extension computes from a chat page: exact token counts
with the platform's tokenizer, and a conversation's energy from a JSON file of its turns.
Bad input raises ``PromptWattError`` subclasses, which the main CLI turns into exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pycore.errors import InvalidInput

_EXAMPLE = '[{"prompt": "...", "reply": "...", "reasoning": "", "reasoning_seconds": null}]'


def register(subparsers: Any) -> None:
    """Add ``tokens`` and ``chat`` to the main parser's subcommands."""
    from pycore.chat.platforms import platforms

    known = ", ".join(platforms())
    t = subparsers.add_parser("tokens", help="count the tokens of a text with a chat platform's tokenizer")
    t.add_argument("--platform", required=True, help=f"chat platform: {known}")
    t.add_argument("--model", help="model label (default: the platform's default label)")
    t.add_argument("file", nargs="?", default="-", help="text file, or - for standard input (default)")
    t.set_defaults(func=cmd_tokens)

    c = subparsers.add_parser("chat", help="energy and CO2 of a chat conversation, exchange by exchange")
    c.add_argument("--platform", required=True, help=f"chat platform: {known}")
    c.add_argument("--model", help="model label as the page shows it (default: the platform's default)")
    c.add_argument("--turns", required=True, help=f"JSON file (or -) with a list of turns: {_EXAMPLE}")
    c.add_argument("--region", help="ISO country code of the grid (default: the deployment's region)")
    c.add_argument(
        "--no-context-growth",
        action="store_true",
        help="count each prompt alone instead of re-reading the conversation so far",
    )
    c.add_argument(
        "--cached-prefix",
        type=float,
        default=0.0,
        help="share (0-1) of the earlier conversation served from a prefix cache (default 0)",
    )
    _facility_args(c)
    c.add_argument(
        "--compare",
        action="store_true",
        help="also estimate the same turns with each other label of the site (the lighter choice)",
    )
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.set_defaults(func=cmd_chat)

    h = subparsers.add_parser(
        "history", help="energy and CO2 of a whole chat history, from a service's data export"
    )
    h.add_argument(
        "export",
        help="the export as downloaded (zip), its folder, or its conversations file; the "
        "service is detected (ChatGPT, Claude, DeepSeek, Grok, Gemini, Le Chat, Copilot, "
        "Perplexity)",
    )
    h.add_argument(
        "--platform",
        help="read the export as this service's (site id: chatgpt, claude, deepseek, grok, "
        "gemini, mistral, copilot, perplexity) instead of detecting it",
    )
    h.add_argument("--region", help="ISO country code of the grid (default: each model's deployment region)")
    h.add_argument("--since", type=_date, help="first day counted, YYYY-MM-DD (UTC)")
    h.add_argument("--until", type=_date, help="last day counted, YYYY-MM-DD (UTC)")
    h.add_argument("--top", type=int, default=10, help="conversations listed, most energy first (default 10)")
    _facility_args(h)
    h.add_argument("--json", action="store_true", help="print one JSON object (every conversation)")
    h.set_defaults(func=cmd_history)

    d = subparsers.add_parser(
        "disclosures",
        help="the providers' own per-prompt figures next to PromptWatt's estimate on the same boundary",
    )
    d.add_argument("--json", action="store_true", help="print one JSON object")
    d.set_defaults(func=cmd_disclosures)


def _facility_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pue", type=float, help="the data centre's PUE, >= 1 (default: each deployment's range)")
    p.add_argument(
        "--wue",
        type=float,
        help="the data centre's on-site water use, litres per IT kWh, >= 0 (default: the operator's range)",
    )


def _checked_facility(args: argparse.Namespace) -> None:
    """The command line is strict where the extension is lenient: an unknown region is an error here."""
    from pycore.chat import impact

    if args.region is not None:
        args.region = impact.known_region(args.region)
    impact.check_pue(args.pue)
    impact.check_wue(args.wue)


def cmd_tokens(args: argparse.Namespace) -> int:
    from pycore.chat.platforms import resolve
    from pycore.chat.tokenizers import count_tokens

    mapping = resolve(args.platform, args.model)
    print(count_tokens(_read_text(args.file), mapping.tokenizer))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from pycore.chat.conversation import estimate_conversation

    _checked_facility(args)
    turns = _read_turns(args.turns)
    options = {
        "region": args.region,
        "grow_context": not args.no_context_growth,
        "cached_prefix_fraction": args.cached_prefix,
        "pue": args.pue,
        "wue": args.wue,
    }
    result = estimate_conversation(turns, args.platform, args.model, **options)
    alternatives = None
    if args.compare:
        from pycore.chat.compare import alternatives as lighter

        alternatives = lighter(turns, result, **options)
    if args.json:
        out = result.as_dict()
        if alternatives is not None:
            out["alternatives"] = [a.as_dict() for a in alternatives]
        print(json.dumps(out))
        return 0
    _print_human(result)
    if alternatives is not None:
        _print_alternatives(result, alternatives)
    return 0


def cmd_disclosures(args: argparse.Namespace) -> int:
    from pycore.chat.disclosures import compare_all

    rows = compare_all()
    if args.json:
        print(json.dumps({"disclosures": [r.as_dict() for r in rows]}))
        return 0
    _print_disclosures(rows)
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from pycore.chat.platforms import platforms
    from pycore.exports import detect
    from pycore.exports.history import estimate_history

    _checked_facility(args)
    export = detect.load(args.export, args.platform)
    if export.platform not in platforms():
        raise InvalidInput(
            f"{args.export} is {export.format.split(' (')[0]}, but the platform {export.platform!r} "
            "has no model data in this version",
            "known platforms: " + ", ".join(platforms()),
        )
    conversations = export.conversations
    total = export.generations

    def show(done: int) -> None:
        print(f"\r  {done:,} / {total:,} generations", end="", file=sys.stderr, flush=True)

    progress = show if not args.json and sys.stderr.isatty() else None
    result = estimate_history(
        conversations,
        export.platform,
        region=args.region,
        since=args.since,
        until=args.until,
        progress=progress,
        notes=export.notes,
        pue=args.pue,
        wue=args.wue,
    )
    if progress:
        print(file=sys.stderr)
    if args.json:
        print(json.dumps(result.as_dict()))
        return 0
    _print_history(result, len(conversations), args.top)
    return 0


def _date(text: str) -> Any:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from exc


# -- input ---------------------------------------------------------------------------------------


def _read_text(path: str) -> str:
    if path == "-":
        # decode the bytes ourselves: the locale's stdin either raises on non-UTF-8 input (a traceback)
        # or turns it into surrogates that get counted as tokens (C / C.UTF-8 locales)
        raw = getattr(sys.stdin, "buffer", None)
        if raw is None:  # a text stream with no bytes under it (tests)
            return sys.stdin.read()
        data = raw.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"standard input is not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} is not UTF-8 text: {exc.reason} at byte {exc.start}") from exc


def _read_turns(path: str) -> list[Any]:
    text = _read_text(path)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"{path} is not valid JSON: {exc}", f"expected {_EXAMPLE}") from exc
    if not isinstance(data, list):
        raise InvalidInput(
            f"{path} must hold a JSON list of turns, not a {type(data).__name__}", f"expected {_EXAMPLE}"
        )
    return data


# -- output --------------------------------------------------------------------------------------


def _rng(value: Any, unit: str, digits: int = 3) -> str:
    return f"{value.central:.{digits}g} {unit} ({value.low:.{digits}g}-{value.high:.{digits}g})"


def _print_history(h: Any, n_conversations: int, top: int) -> None:
    t = h.total
    first, last = (_day(x) for x in (h.first, h.last))
    span = f", {first} to {last}" if first and last else ""
    from pycore.chat.sites import site

    print(
        f"{site(h.platform).name} history: {len(h.conversations):,} of {n_conversations:,} conversations, "
        f"{t.generations:,} generations ({t.regenerated:,} regenerated){span}"
    )
    print(f"  tokens: {t.input_tokens:,} in (context re-read included), {t.output_tokens.central:,.0f} out")
    print(
        f"  GPU {_rng(t.gpu_wh, 'Wh')}, at the wall {_rng(t.wall_wh, 'Wh')}, {_rng(t.co2_g, 'g CO2')}"
        f"{', grid ' + h.region if h.region else ''}"
    )
    _print_water_embodied(t, "  ")
    print("  that is about:")
    for eq in h.equivalents():
        print(f"    {eq['value'].central:.3g} {eq['unit']} ({eq['label']})")
    print("  by model (wall Wh):")
    for label, m in h.by_model.items():
        print(f"    {label:<24} {m.generations:>7,} generations  {_rng(m.wall_wh, 'Wh')}")
    print("  by month (wall Wh):")
    for month, m in h.by_month.items():
        print(f"    {month:<8} {m.generations:>7,} generations  {_rng(m.wall_wh, 'Wh')}")
    if top > 0:
        print(f"  top {min(top, len(h.conversations))} conversations (wall Wh):")
        for c in h.conversations[:top]:
            title = (c.title or f"(untitled {c.id})").replace("\n", " ")
            title = title if len(title) <= 48 else title[:47] + "…"
            print(f"    {title:<48} {c.tally.generations:>5,} gen.  {_rng(c.tally.wall_wh, 'Wh')}")
    if h.notes:
        print("  notes:")
        for n in h.notes:
            print(f"    - {n}")


def _day(t: float | None) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(t, dt.UTC).date().isoformat() if t is not None else ""


def _print_human(result: Any) -> None:
    m = result.mapping
    flag = "  [label not recognised: fallback]" if m.is_fallback else ""
    print(f"{m.platform} / {m.label}{flag}")
    print(
        f"  stand-in {m.assumed_architecture}, total {m.total_params_b}B / active {m.active_params_b}B parameters"
    )
    print(
        f"  on {m.deployment.gpus} x {m.deployment.gpu} ({m.deployment.precision}), "
        f"grid {result.grid.iso} {result.grid.g_co2_per_kwh:g} g CO2/kWh"
    )
    for e in result.exchanges:
        reasoning = ""
        if e.reasoning_tokens.high > 0:
            kind = "estimated" if e.reasoning_estimated else "counted"
            reasoning = f" (incl. {e.reasoning_tokens.central:.0f} reasoning, {kind})"
        print(
            f"  #{e.index + 1}: {e.input_tokens} in, {e.output_tokens.central:.0f} out{reasoning}: "
            f"GPU {_rng(e.gpu_wh, 'Wh')}, wall {_rng(e.wall_wh, 'Wh')}, {_rng(e.co2_g, 'g CO2')}"
        )
        for w in e.warnings:
            print(f"      - {w}")
    print(
        f"  total: {result.input_tokens} in, {result.output_tokens.central:.0f} out: GPU {_rng(result.gpu_wh, 'Wh')}, "
        f"wall {_rng(result.wall_wh, 'Wh')}, {_rng(result.co2_g, 'g CO2')} of use"
    )
    _print_water_embodied(result, "  ")
    a = result.assumptions
    if "wue_l_per_kwh" in a:
        print(
            f"  assumed: PUE {_rngd(a['pue'])}, on-site WUE {_rngd(a['wue_l_per_kwh'])} L per IT kWh, "
            f"grid water {_rngd(a['offsite_water_l_per_kwh'])} L/kWh; {a['gpu']} life {_rngd(a['lifetime_years'])} "
            f"years at {_rngd(a['utilisation'])} utilisation, {_rngd(a['embodied_kg_per_gpu'])} kg CO2e per GPU "
            "with its host share"
        )
    print("  that is about:")
    for eq in result.equivalents():
        value = eq["value"]
        central = value.central if hasattr(value, "central") else value
        print(f"    {central:.3g} {eq['unit']} ({eq['label']})")
    if result.warnings:
        print("  warnings:")
        for w in result.warnings:
            print(f"    - {w}")


def _rngd(d: dict[str, float]) -> str:
    if d["low"] == d["high"]:
        return f"{d['central']:.3g}"
    return f"{d['central']:.3g} ({d['low']:.3g}-{d['high']:.3g})"


def _print_water_embodied(x: Any, indent: str) -> None:
    """Water (on-site + off-site) and embodied CO2 lines, each with its range and boundary."""
    print(
        f"{indent}water {_rng(x.water_ml, 'mL')}: on-site cooling {_rng(x.water_onsite_ml, 'mL')}"
        f" + off-site, generating the electricity {_rng(x.water_offsite_ml, 'mL')}"
    )
    both = x.co2_g + x.embodied_co2_g
    print(
        f"{indent}embodied (manufacturing) {_rng(x.embodied_co2_g, 'g CO2')}; use + embodied {_rng(both, 'g CO2')}"
    )


def _print_alternatives(result: Any, alternatives: list[Any]) -> None:
    m = result.mapping
    print(
        f"  the same turns with the other {m.platform} labels, and the same model on other sites "
        "(GPU energy; no claim on answer quality):"
    )
    for a in alternatives:
        name = a.label if a.platform == m.platform else f"{a.label} ({a.platform})"
        print(
            f"    {name:<36} {_rng(a.gpu_wh, 'Wh')}  {a.change_pct:+.0f}%{'  - ' + a.note if a.note else ''}"
        )


def _print_disclosures(rows: list[Any]) -> None:
    for r in rows:
        d = r.disclosure
        print(f"{d['who']}: {d['what']} ({d['date']})")
        print(f"  scope: {d['scope']}")
        print(f"  compared with: {r.exchange}")
        for f in r.figures:
            ours = (
                "not estimated"
                if f["ours"] is None
                else (f"{f['ours']:.3g} ({f['ours_low']:.3g}-{f['ours_high']:.3g}) {f['unit']}")
            )
            print(
                f"    {f['quantity']:<8} published {f['published']:g} {f['unit']}, PromptWatt {ours}"
                f"  [{f['boundary']}]"
            )
        for reason in d["differences"]:
            print(f"    - {reason}")
        print(f"  source: {d['source']}")
