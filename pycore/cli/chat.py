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
    c.add_argument("--no-context-growth", action="store_true",
                   help="count each prompt alone instead of re-reading the conversation so far")
    c.add_argument("--cached-prefix", type=float, default=0.0,
                   help="share (0-1) of the earlier conversation served from a prefix cache (default 0)")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.set_defaults(func=cmd_chat)

    h = subparsers.add_parser("history", help="energy and CO2 of a whole chat history, from a service's data export")
    h.add_argument("export", help="the export as downloaded (zip), its folder, or its conversations file; the "
                                  "service is detected (ChatGPT, Claude, DeepSeek, Grok, Gemini, Le Chat, Copilot, "
                                  "Perplexity)")
    h.add_argument("--platform", help="read the export as this service's (site id: chatgpt, claude, deepseek, grok, "
                                      "gemini, mistral, copilot, perplexity) instead of detecting it")
    h.add_argument("--region", help="ISO country code of the grid (default: each model's deployment region)")
    h.add_argument("--since", type=_date, help="first day counted, YYYY-MM-DD (UTC)")
    h.add_argument("--until", type=_date, help="last day counted, YYYY-MM-DD (UTC)")
    h.add_argument("--top", type=int, default=10, help="conversations listed, most energy first (default 10)")
    h.add_argument("--json", action="store_true", help="print one JSON object (every conversation)")
    h.set_defaults(func=cmd_history)


def cmd_tokens(args: argparse.Namespace) -> int:
    from pycore.chat.platforms import resolve
    from pycore.chat.tokenizers import count_tokens

    mapping = resolve(args.platform, args.model)
    print(count_tokens(_read_text(args.file), mapping.tokenizer))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from pycore.chat.conversation import estimate_conversation

    turns = _read_turns(args.turns)
    result = estimate_conversation(
        turns, args.platform, args.model, region=args.region, grow_context=not args.no_context_growth,
        cached_prefix_fraction=args.cached_prefix,
    )
    if args.json:
        print(json.dumps(result.as_dict()))
        return 0
    _print_human(result)
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from pycore.chat.platforms import platforms
    from pycore.exports import detect
    from pycore.exports.history import estimate_history

    export = detect.load(args.export, args.platform)
    if export.platform not in platforms():
        raise InvalidInput(f"{args.export} is {export.format.split(' (')[0]}, but the platform {export.platform!r} "
                           "has no model data in this version", "known platforms: " + ", ".join(platforms()))
    conversations = export.conversations
    total = export.generations
    def show(done: int) -> None:
        print(f"\r  {done:,} / {total:,} generations", end="", file=sys.stderr, flush=True)

    progress = show if not args.json and sys.stderr.isatty() else None
    result = estimate_history(conversations, export.platform, region=args.region, since=args.since,
                              until=args.until, progress=progress, notes=export.notes)
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
        raise InvalidInput(f"{path} must hold a JSON list of turns, not a {type(data).__name__}",
                           f"expected {_EXAMPLE}")
    return data


# -- output --------------------------------------------------------------------------------------


def _rng(value: Any, unit: str, digits: int = 3) -> str:
    return f"{value.central:.{digits}g} {unit} ({value.low:.{digits}g}-{value.high:.{digits}g})"


def _print_history(h: Any, n_conversations: int, top: int) -> None:
    t = h.total
    first, last = (_day(x) for x in (h.first, h.last))
    span = f", {first} to {last}" if first and last else ""
    from pycore.chat.sites import site

    print(f"{site(h.platform).name} history: {len(h.conversations):,} of {n_conversations:,} conversations, "
          f"{t.generations:,} generations ({t.regenerated:,} regenerated){span}")
    print(f"  tokens: {t.input_tokens:,} in (context re-read included), {t.output_tokens.central:,.0f} out")
    print(f"  GPU {_rng(t.gpu_wh, 'Wh')}, at the wall {_rng(t.wall_wh, 'Wh')}, {_rng(t.co2_g, 'g CO2')}"
          f"{', grid ' + h.region if h.region else ''}")
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
    print(f"  stand-in {m.assumed_architecture}, total {m.total_params_b}B / active {m.active_params_b}B parameters")
    print(f"  on {m.deployment.gpus} x {m.deployment.gpu} ({m.deployment.precision}), "
          f"grid {result.grid.iso} {result.grid.g_co2_per_kwh:g} g CO2/kWh")
    for e in result.exchanges:
        reasoning = ""
        if e.reasoning_tokens.high > 0:
            kind = "estimated" if e.reasoning_estimated else "counted"
            reasoning = f" (incl. {e.reasoning_tokens.central:.0f} reasoning, {kind})"
        print(f"  #{e.index + 1}: {e.input_tokens} in, {e.output_tokens.central:.0f} out{reasoning}: "
              f"GPU {_rng(e.gpu_wh, 'Wh')}, wall {_rng(e.wall_wh, 'Wh')}, {_rng(e.co2_g, 'g CO2')}")
        for w in e.warnings:
            print(f"      - {w}")
    print(f"  total: {result.input_tokens} in, {result.output_tokens.central:.0f} out: GPU {_rng(result.gpu_wh, 'Wh')}, "
          f"wall {_rng(result.wall_wh, 'Wh')}, {_rng(result.co2_g, 'g CO2')}")
    print("  that is about:")
    for eq in result.equivalents():
        value = eq["value"]
        central = value.central if hasattr(value, "central") else value
        print(f"    {central:.3g} {eq['unit']} ({eq['label']})")
    if result.warnings:
        print("  warnings:")
        for w in result.warnings:
            print(f"    - {w}")
