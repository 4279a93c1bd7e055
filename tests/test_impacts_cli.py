"""The command line's water, embodied CO2, disclosures and lighter-choice output: JSON names (the
extension's and users' contract), published figures kept with their sources, bad inputs exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pycore.chat import platforms as pf
from pycore.chat.compare import alternatives
from pycore.chat.conversation import estimate_conversation
from pycore.chat.disclosures import BOUNDARIES, compare_all, disclosures
from pycore.cli.commands import main
from pycore.resources import load_json

TURNS = [
    {
        "prompt": "Explain photosynthesis in one sentence.",
        "reply": "Plants turn light, water and CO2 into sugar.",
        "reasoning": "",
        "reasoning_seconds": 6,
    },
    {"prompt": "Shorter?", "reply": "Light to sugar."},
]
NEW_TOTALS = (
    "water_ml",
    "water_ml_low",
    "water_ml_high",
    "embodied_co2_g",
    "embodied_co2_g_low",
    "embodied_co2_g_high",
)
ALTERNATIVE_KEYS = {
    "platform",
    "label",
    "energy_wh",
    "energy_wh_low",
    "energy_wh_high",
    "wall_wh",
    "co2_g",
    "water_ml",
}


@pytest.fixture
def turns_file(tmp_path: Path) -> str:
    path = tmp_path / "turns.json"
    path.write_text(json.dumps(TURNS), encoding="utf-8")
    return str(path)


def _json(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)


def test_chat_json_totals_carry_water_and_embodied(turns_file, capsys):
    assert (
        main(["chat", "--platform", "chatgpt", "--model", "GPT-5 Thinking", "--turns", turns_file, "--json"])
        == 0
    )
    d = _json(capsys)
    for key in NEW_TOTALS:
        assert key in d["total"], key
        assert key in d["exchanges"][0], key
    t = d["total"]
    assert t["water_ml_low"] <= t["water_ml"] <= t["water_ml_high"] and t["water_ml"] > 0
    assert (
        t["embodied_co2_g_low"] <= t["embodied_co2_g"] <= t["embodied_co2_g_high"] and t["embodied_co2_g"] > 0
    )
    assert t["water_ml"] == pytest.approx(t["water_onsite_ml"] + t["water_offsite_ml"])
    assert t["co2_incl_embodied_g"] == pytest.approx(t["co2_g"] + t["embodied_co2_g"])
    assert t["water_ml"] == pytest.approx(sum(e["water_ml"] for e in d["exchanges"]))
    assert "boundaries" in d["assumptions"] and d["assumptions"]["gpu"] == "H200"
    assert "alternatives" not in d


def test_chat_human_output_names_boundaries(turns_file, capsys):
    assert main(["chat", "--platform", "gemini", "--turns", turns_file]) == 0
    out = capsys.readouterr().out
    assert "water" in out and "on-site cooling" in out and "off-site" in out and "embodied" in out
    assert "use + embodied" in out and "glasses" in out


def test_chat_pue_and_wue_options(turns_file, capsys):
    assert (
        main(["chat", "--platform", "chatgpt", "--turns", turns_file, "--wue", "0", "--pue", "1", "--json"])
        == 0
    )
    d = _json(capsys)
    assert d["total"]["water_onsite_ml"] == 0 and d["total"]["water_onsite_ml_high"] == 0
    assert d["assumptions"]["pue"] == {"low": 1.0, "central": 1.0, "high": 1.0}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--region", "XX"], "unknown region 'XX'"),
        (["--pue", "0.95"], "PUE must be a number >= 1"),
        (["--wue", "-0.2"], "WUE must be a number >= 0"),
    ],
)
def test_chat_bad_facility_exits_2(turns_file, capsys, args, needle):
    assert main(["chat", "--platform", "chatgpt", "--turns", turns_file, *args]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--region", "Atlantis"], "unknown region"), (["--pue", "0.5"], "PUE"), (["--wue", "-3"], "WUE")],
)
def test_estimate_and_history_bad_facility_exit_2(tmp_path, capsys, args, needle):
    base = [
        "estimate",
        "--model",
        "meta-llama/Llama-3.1-8B-Instruct",
        "--gpu",
        "H100-SXM",
        "--input",
        "100",
        "--output",
        "300",
        "--requests",
        "1000",
    ]
    assert main([*base, *args]) == 2
    assert needle in capsys.readouterr().err
    export = tmp_path / "conversations.json"
    export.write_text("[]", encoding="utf-8")
    assert main(["history", str(export), *args]) == 2
    assert needle in capsys.readouterr().err


def test_estimate_deployment_reports_water_and_embodied(capsys):
    argv = [
        "estimate",
        "--model",
        "meta-llama/Llama-3.1-8B-Instruct",
        "--gpu",
        "H100-SXM",
        "--input",
        "100",
        "--output",
        "300",
        "--batch",
        "32",
        "--requests",
        "1000000",
        "--region",
        "FR",
        "--pue",
        "1.2",
        "--wue",
        "0.5",
        "--replicas",
        "4",
        "--json",
    ]
    assert main(argv) == 0
    dep = _json(capsys)["deployment"]
    wall = dep["wall_kwh"]
    for end in ("low", "central", "high"):
        assert dep["water_onsite_l"][end] == pytest.approx(wall[end] / 1.2 * 0.5)  # IT kWh x WUE
    assert dep["water_l"]["central"] == pytest.approx(
        dep["water_onsite_l"]["central"] + dep["water_offsite_l"]["central"]
    )
    assert (
        0
        < dep["embodied_co2_kg"]["low"]
        <= dep["embodied_co2_kg"]["central"]
        <= dep["embodied_co2_kg"]["high"]
    )
    assert dep["provisioned"]["embodied_co2_kg"]["central"] > 0
    assert main(argv[:-1]) == 0
    out = capsys.readouterr().out
    assert "embodied CO2e" in out and "water:" in out and "WUE 0.5" in out


def test_compare_json_lists_every_other_label(turns_file, capsys):
    assert (
        main(
            [
                "chat",
                "--platform",
                "chatgpt",
                "--model",
                "GPT-5 Thinking",
                "--turns",
                turns_file,
                "--compare",
                "--json",
            ]
        )
        == 0
    )
    d = _json(capsys)
    alts = d["alternatives"]
    here = [a for a in alts if a["platform"] == "chatgpt"]
    assert {a["label"] for a in here} == set(pf.labels("chatgpt")) - {"GPT-5 Thinking"}
    # elsewhere: exactly the other sites' labels that stand for the same model, and the note says so
    model = pf.resolve("chatgpt", "GPT-5 Thinking").model
    elsewhere = {(a["platform"], a["label"]) for a in alts if a["platform"] != "chatgpt"}
    assert elsewhere == {
        (p, label)
        for p in pf.platforms()
        if p != "chatgpt"
        for label in pf.labels(p)
        if pf.resolve(p, label).model == model
    }
    assert elsewhere and all("same model on" in a["note"] for a in alts if a["platform"] != "chatgpt")
    for a in alts:
        assert ALTERNATIVE_KEYS <= a.keys()
        assert a["energy_wh_low"] <= a["energy_wh"] <= a["energy_wh_high"]
    assert [a["energy_wh"] for a in alts] == sorted(a["energy_wh"] for a in alts)
    instant = next(a for a in alts if a["label"] == "GPT-5 Instant")
    # same model, no reasoning: the difference is the estimated reasoning, and the note says so
    assert instant["energy_wh"] < d["total"]["energy_wh"] and "mostly the reasoning" in instant["note"]
    assert instant["change_pct"] == pytest.approx((instant["energy_wh"] / d["total"]["energy_wh"] - 1) * 100)


def test_compare_equals_estimating_the_label_directly():
    used = estimate_conversation(TURNS, "deepseek", "DeepSeek-V3.2 (DeepThink)")
    alts = {a.label: a for a in alternatives(TURNS, used)}
    direct = estimate_conversation(TURNS, "deepseek", "DeepSeek-V3.1 (DeepThink)")
    assert alts["DeepSeek-V3.1 (DeepThink)"].gpu_wh == direct.gpu_wh
    assert alts["DeepSeek-V3.1 (DeepThink)"].water_ml == direct.water_ml
    plain = estimate_conversation(
        [{"prompt": t["prompt"], "reply": t["reply"]} for t in TURNS], "deepseek", "DeepSeek-V3.1"
    )
    assert (
        alts["DeepSeek-V3.1"].gpu_wh == plain.gpu_wh
    )  # a label without reasoning drops the turns' reasoning


def test_compare_human_output_makes_no_quality_claim(turns_file, capsys):
    assert main(["chat", "--platform", "gemini", "--turns", turns_file, "--compare"]) == 0
    out = capsys.readouterr().out
    assert "no claim on answer quality" in out and "%" in out


def test_disclosures_file_round_trips_with_sources():
    raw = load_json("disclosures.json")
    assert raw["schema_version"] == 1
    rows = compare_all()
    assert (
        [r.disclosure["id"] for r in rows]
        == [d["id"] for d in raw["disclosures"]]
        == [d["id"] for d in disclosures()]
    )
    for r, d in zip(rows, raw["disclosures"], strict=True):
        out = r.as_dict()
        assert out["source"] == d["source"] and out["scope"] == d["scope"] and out["date"] == d["date"]
        assert out["differences"] == d["differences"] and all(x.strip() for x in d["differences"])
        assert [f["published"] for f in out["figures"]] == [f["value"] for f in d["figures"]]
        for f in out["figures"]:
            assert f["ours_boundary"] in BOUNDARIES
            assert 0 < f["ours_low"] <= f["ours"] <= f["ours_high"]
            assert f["ratio"] == pytest.approx(f["ours"] / f["published"])
    ids = {d["id"] for d in raw["disclosures"]}
    assert {
        "google-gemini-median-2025",
        "google-gemini-median-2025-accelerator",
        "openai-chatgpt-average-2025",
        "mistral-le-chat-2025",
        "epoch-ai-gpt4o-2025",
    } <= ids


def test_disclosures_compare_on_the_same_boundary():
    rows = {r.disclosure["id"]: {f["quantity"]: f for f in r.figures} for r in compare_all()}
    full, accel = rows["google-gemini-median-2025"], rows["google-gemini-median-2025-accelerator"]
    assert full["energy"]["published"] == 0.24 and accel["energy"]["published"] == 0.10
    # the accelerator-only boundary is GPU energy, the comprehensive one wall energy, on the same exchange
    assert accel["energy"]["ours"] < full["energy"]["ours"]
    assert accel["water"]["ours"] < full["water"]["ours"]
    assert full["co2"]["ours"] > full["embodied"]["ours"] > 0
    mistral = rows["mistral-le-chat-2025"]
    assert (
        mistral["water"]["ours_boundary"] == "water_total_ml"
        and mistral["co2"]["ours_boundary"] == "co2_use_embodied_g"
    )


def test_disclosures_command_json_and_text(capsys):
    assert main(["disclosures", "--json"]) == 0
    d = _json(capsys)
    assert len(d["disclosures"]) == len(disclosures())
    g = d["disclosures"][0]
    assert {"who", "what", "date", "scope", "source", "compared_with", "figures", "differences"} <= g.keys()
    assert main(["disclosures"]) == 0
    out = capsys.readouterr().out
    assert (
        "Google" in out
        and "OpenAI" in out
        and "Mistral" in out
        and "Epoch" in out
        and "published 0.24 Wh" in out
    )


def test_estimate_reports_embodied_per_prompt(capsys):
    from pycore.chat import impact
    from pycore.ranges import Range

    assert (
        main(
            [
                "estimate",
                "--model",
                "meta-llama/Llama-3.1-8B-Instruct",
                "--gpu",
                "H100-SXM",
                "--input",
                "100",
                "--output",
                "300",
                "--json",
            ]
        )
        == 0
    )
    d = _json(capsys)
    hw = impact.hardware("H100-SXM")
    secs = Range(d["energy_wh_low"], d["energy_wh"], d["energy_wh_high"]) * 3600 / hw.busy_w_per_gpu
    want = secs * hw.kg_per_gpu * 1000 / (hw.lifetime_years * 365.25 * 86400 * hw.utilisation)
    assert (d["embodied_co2_g_low"], d["embodied_co2_g"], d["embodied_co2_g_high"]) == pytest.approx(
        (want.low, want.central, want.high)
    )
