"""`promptwatt tokens` and `promptwatt chat`: output shape, token counts, errors naming the field."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from pycore.chat.tokenizers import count_tokens
from pycore.cli import chat as chat_cli
from pycore.cli import commands as cli

Main = Callable[[list[str]], int]


@pytest.fixture
def main(monkeypatch: pytest.MonkeyPatch) -> Main:
    """``cli.main`` with the chat subcommands, registered here if cli.py does not do it yet."""
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    if "chat" not in sub.choices:
        original = cli.build_parser

        def build() -> object:
            p = original()
            chat_cli.register(next(a for a in p._actions if a.__class__.__name__ == "_SubParsersAction"))
            return p

        monkeypatch.setattr(cli, "build_parser", build)
    return cli.main


def _write(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


TEXT = "Hello, wörld! 你好 🙂 def f(x): return x**2\n"


@pytest.mark.parametrize(
    "platform,model,tokenizer",
    [
        ("chatgpt", None, "o200k_base"),
        ("chatgpt", "GPT-4", "cl100k_base"),
        ("deepseek", None, "deepseek_v3"),
        ("gemini", "Gemini 2.5 Pro", "gemma3"),
    ],
)
def test_tokens_counts_with_the_platform_tokenizer(
    main: Main,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    platform: str,
    model: str | None,
    tokenizer: str,
) -> None:
    argv = ["tokens", "--platform", platform, _write(tmp_path, "t.txt", TEXT)]
    if model:
        argv[3:3] = ["--model", model]
    assert main(argv) == 0
    assert capsys.readouterr().out.strip() == str(count_tokens(TEXT, tokenizer))


def test_tokens_reads_stdin(
    main: Main, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(TEXT))
    assert main(["tokens", "--platform", "chatgpt"]) == 0
    assert capsys.readouterr().out.strip() == str(count_tokens(TEXT, "o200k_base"))


@pytest.mark.parametrize(
    "cmd", [["tokens", "--platform", "chatgpt"], ["chat", "--platform", "chatgpt", "--turns", "-"]]
)
def test_stdin_that_is_not_utf8_exits_2_like_a_file(cmd: list[str]) -> None:
    # depending on the locale it was a UnicodeDecodeError traceback, or surrogates counted as tokens
    import subprocess
    import sys

    p = subprocess.run(
        [sys.executable, "-m", "pycore", *cmd],
        input='[{"prompt": "h\xff"}]'.encode("latin-1"),
        capture_output=True,
        timeout=300,
    )
    assert p.returncode == 2 and p.stdout == b""
    assert (
        p.stderr.decode().strip()
        == "promptwatt: standard input is not UTF-8 text: invalid start byte at byte 14"
    )


TURNS = [
    {
        "prompt": "Explain photosynthesis in one sentence.",
        "reply": "Plants turn light, water and CO2 into sugar.",
    },
    {"prompt": "Shorter?", "reply": "Light to sugar.", "reasoning": "", "reasoning_seconds": 4},
]


def test_chat_json_shape(main: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "turns.json", json.dumps(TURNS))
    assert (
        main(["chat", "--platform", "chatgpt", "--model", "GPT-5 Thinking", "--turns", path, "--json"]) == 0
    )
    d = json.loads(capsys.readouterr().out)
    assert len(d["exchanges"]) == 2
    for key in (
        "index",
        "input_tokens",
        "output_tokens",
        "reasoning_tokens",
        "reasoning_estimated",
        "energy_wh",
        "energy_wh_low",
        "energy_wh_high",
        "wall_wh",
        "wall_wh_low",
        "wall_wh_high",
        "co2_g",
        "co2_g_low",
        "co2_g_high",
        "warnings",
    ):
        assert key in d["exchanges"][0], key
    for key in ("energy_wh", "energy_wh_low", "energy_wh_high", "co2_g", "input_tokens", "output_tokens"):
        assert key in d["total"], key
    assert d["exchanges"][1]["reasoning_estimated"] is True
    assert d["model"]["label"] == "GPT-5 Thinking" and d["model"]["is_fallback"] is False
    assert d["region"]["iso"] == "US" and d["equivalents"]


def test_chat_options(main: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "turns.json", json.dumps(TURNS))
    assert (
        main(
            [
                "chat",
                "--platform",
                "deepseek",
                "--turns",
                path,
                "--region",
                "FR",
                "--no-context-growth",
                "--json",
            ]
        )
        == 0
    )
    d = json.loads(capsys.readouterr().out)
    assert d["region"]["iso"] == "FR"
    assert d["exchanges"][1]["input_tokens"] < d["exchanges"][0]["input_tokens"] + 20


def test_chat_human_output(main: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "turns.json", json.dumps(TURNS))
    assert main(["chat", "--platform", "gemini", "--model", "Gemini 42", "--turns", path]) == 0
    out = capsys.readouterr().out
    assert "#1:" in out and "#2:" in out and "total:" in out and "Wh" in out and "g CO2" in out
    assert "fallback" in out and "warnings:" in out


@pytest.mark.parametrize(
    "content,needle",
    [
        ("{not json", "not valid JSON"),
        ('{"prompt": "a"}', "JSON list of turns"),
        ('[{"reply": "b"}]', "turn 0: field 'prompt'"),
        ('[{"prompt": "a", "reply": 7}]', "turn 0: field 'reply'"),
        ('[{"prompt": "a"}, {"prompt": "b", "reasoning_seconds": "x"}]', "turn 1: field 'reasoning_seconds'"),
        ("[]", "at least one turn"),
    ],
)
def test_chat_bad_files_exit_2_naming_the_problem(
    main: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, needle: str
) -> None:
    path = _write(tmp_path, "bad.json", content)
    assert main(["chat", "--platform", "chatgpt", "--turns", path]) == 2
    assert needle in capsys.readouterr().err


def test_missing_file_and_unknown_platform_exit_2(
    main: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chat", "--platform", "chatgpt", "--turns", str(tmp_path / "nope.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    path = _write(tmp_path, "turns.json", json.dumps(TURNS))
    assert main(["chat", "--platform", "myspace", "--turns", path]) == 2
    assert "unknown chat platform" in capsys.readouterr().err
