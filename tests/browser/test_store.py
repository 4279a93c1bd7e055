"""extension/lib/store.js, lib/chain.js, lib/recompute.js, lib/reestimate.js, lib/importer.js and lib/messages.js
under Node: who may send the service worker what and how its messages are bounded, context of a
turn (by position and along the chain of generations), the regenerated flag, queue order, validation,
migration, aggregation, records recomputed or estimated again."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from .harness import build_module

HERE = Path(__file__).resolve().parent


@functools.cache
def _results() -> dict:
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        # lib/sites.js is generated from the site registry by build.py, as in the built extension
        sites_js = Path(tmp) / "sites.js"
        sites_js.write_bytes(build_module().generated()["lib/sites.js"])
        p = subprocess.run(
            [node, str(HERE / "store_check.mjs"), str(sites_js)], capture_output=True, text=True, timeout=60
        )
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_store_functions():
    out = _results()
    # turn k's context: prompt + reply of the latest generation of every earlier turn
    assert out["context"] == [0, 110, 110 + 220, 110 + 220 + 330]
    # 2 usable documents; the deepseek one has no exchanges list, the broken gemini one only bad records,
    # and a copy of the chatgpt one is stored under another conversation's key
    assert out["checked"] == {"docs": 2, "skippedDocs": 2, "skippedRecords": 3, "newer": 1}
    assert out["totals"] == {"today": 2, "week": 4, "all": 5}
    assert out["platforms"] == {"chatgpt": 4, "gemini": 1}
    assert out["daily"] == 14 and out["dailyToday"] == 2
    assert out["order"] == ["c", "g"]  # newest first
    assert out["migrateCurrent"] is True and out["migrateUnknownOld"] is None
    # the index the popup reads first says the same and carries the damage report
    assert out["indexValid"] and out["indexAgrees"]
    assert out["indexSkipped"] == {"docs": 2, "records": 3, "newer": 1}
    assert out["indexRejects"] == [False] * 6
    assert out["shardRejects"] == [False, False, False]


def test_aggregates_kept_by_deltas_equal_a_full_recount():
    """writeDocs takes out a conversation's stored contribution and puts in the new one: after records added,
    recomputed, a new conversation and one moving to a later month, the aggregates equal a recount."""
    d = _results()["delta"]
    assert d["sameKeys"] and d["maxRelErr"] < 1e-12 and d["totalsAgree"]
    assert len(d["months"]) == 3  # the older month, this one, the later one
    assert d["shards"] == sorted(f"idx:{k}:{m}" for k in "cd" for m in d["months"])
    # each conversation is listed in the shard of its latest record's month: g moved to the later one
    assert dict(d["convMonth"]) == {
        "conv:chatgpt:c": d["months"][1],
        "conv:deepseek:n": d["months"][1],
        "conv:gemini:g": d["months"][2],
    }


def test_context_follows_the_chain_of_generations():
    c = _results()["chain"]
    # after a regeneration of turn 1, each branch counts its own turn 1 (by position: the latest only)
    assert c["branch"] == [
        {"context_tokens": 11, "turn_index": 2, "chained": 2},
        {"context_tokens": 101, "turn_index": 2, "chained": 2},
        {"context_tokens": 1011, "turn_index": 3, "chained": 3},
    ]
    assert c["positionalWouldSay"] == 101
    assert c["firstTurn"] == {"context_tokens": 0, "turn_index": 0, "chained": 0}
    # a predecessor that was never recorded: positions, as before chains
    assert c["unknownPrev"] == {"context_tokens": 101, "turn_index": 2, "chained": 0}


def test_lazy_loaded_turns_count_once_linked():
    c = _results()["chain"]
    # first rendered turn x3 still believed first: only what was on screen
    assert c["lazyUnlinked"] == {"context_tokens": 11000, "turn_index": 2, "chained": 2}
    # x3 linked to x2 once the older turns rendered above it: all five, at the true position
    assert c["lazyLinked"] == {"context_tokens": 11111, "turn_index": 5, "chained": 5}


def test_where_the_chain_stops_earlier_turns_count_by_position():
    c = _results()["chain"]
    # a schema-1 record (no prev_gen) ends the chain; the turn before it by position is added
    assert c["afterOld"] == {"context_tokens": 11, "turn_index": 2, "chained": 1}
    # ChatGPT: first mounted turn 7 had nothing before it; turns 5 and 6 are known by position
    assert c["midway"] == {"context_tokens": 111, "turn_index": 8, "chained": 1}
    # damaged links in a cycle end the walk (each record counted once)
    assert c["cycle"] == [
        {"context_tokens": 111, "turn_index": 4, "chained": 2},
        {"context_tokens": 118, "turn_index": 5, "chained": 1},
    ]


def test_regenerated_means_same_predecessor():
    assert _results()["chain"]["regenerated"] == {
        "sameParent": True,
        "newTurn": False,
        "nextOnFirstBranch": False,
        "firstTurnAgain": True,
        # the lazy-load case: a first rendered turn linked to older turns no longer looks like turn 0
        "lazyFirstTurnUnlinked": True,
        "lazyFirstTurnLinked": False,
        "oldByPosition": True,
        "oldOtherPosition": False,
        "firstMountedOtherIndex": False,
    }


def test_queue_waits_for_a_pending_predecessor():
    q = _results()["chain"]["queue"]
    assert q["chain"] == ["q", "a", "b", "c"]
    assert q["byTurn"] == ["t0", "t1", "t2"]
    assert q["cycle"] == ["q", "p"] and q["self"] == ["s", "t"]


def test_prev_gen_is_validated_and_schema_1_records_load():
    c = _results()["chain"]
    assert c["valid"] == {
        "absent": True,
        "none": True,
        "gen": True,
        "number": False,
        "empty": False,
        "long": False,
        "object": False,
    }
    assert c["record"] == {
        "ok": True,
        "noModel": False,
        "modelNull": False,
        "labelNumber": False,
        "tooLate": False,
        "tooEarly": False,
        "latest": True,
        "infinite": False,
    }
    # migrated to the current schema without inventing a prev_gen (absent = unknown, not "nothing before")
    assert c["v1"] == {"loads": 1, "version": 4, "prevGen": False}


def test_settings_key_names_only_what_changes_wall_energy_and_co2():
    r = _results()["recompute"]
    default, fr, custom, custom_alone, pue, empty_region = r["keys"]
    assert default == empty_region and len({default, fr, custom, pue}) == 4
    assert custom == custom_alone  # a custom grid intensity makes the region irrelevant
    assert r["settings"] == [{"grid_g_per_kwh": 0, "pue": 1.2}, {"region": "FR"}, {}]


def test_records_under_other_settings_are_found_and_sent_without_text():
    r = _results()["recompute"]
    # unstamped (older schema) and stamped with other settings; those already under FR are left alone
    assert r["stale"] == [
        ["conv:chatgpt:m", "chatgpt:c:0", "chatgpt"],
        ["conv:chatgpt:m", "chatgpt:c:2", "chatgpt"],
    ]
    assert r["staleSkipping"] == ["chatgpt:c:2"]  # records the op refused are not sent again
    gpu = {"energy_wh_low": 0.5, "energy_wh": 1, "energy_wh_high": 2}
    assert r["request"] == {
        "op": "impact",
        "region": "FR",
        "pue": 1.5,
        "records": [
            {"platform": "chatgpt", "model_label": None, **gpu},
            {"platform": "chatgpt", "model_label": "GPT-4o", **gpu, "warnings": ["w"]},
        ],
    }


def test_a_result_replaces_wall_co2_grid_and_stamp_and_keeps_gpu_energy():
    r = _results()["recompute"]
    a = r["applied"]
    assert (a["wall_wh_low"], a["wall_wh"], a["wall_wh_high"]) == (1, 2, 4)
    assert (a["co2_g_low"], a["co2_g"], a["co2_g_high"]) == (2, 6, 18)
    assert (a["energy_wh_low"], a["energy_wh"], a["energy_wh_high"]) == (0.5, 1, 2)
    assert a["region"] == "FR" and a["grid_g_per_kwh"] == 21 and a["pue"] is None
    assert a["impact_key"] == r["keys"][1]
    assert a["warnings"] == [f"w{k}" for k in range(10)]  # cut as the service worker cuts them
    b = r["appliedNoWarnings"]
    assert b["pue"] == 2 and "warnings" not in b and b["impact_key"] == '[null,0,2,null,""]'
    assert r["valid"] == {"string": True, "absent": True, "number": False, "none": False}
    # schema 2 documents load as 3, their records without a key (recomputed once), prev_gen kept
    assert r["v2"] == {"version": 4, "impactKey": False, "prevGen": "p"}
    # schema 3 records lose their key on the way to 4: recomputed once, they gain water and embodied CO2
    assert r["v3"] == {
        "version": 4,
        "impactKey": False,
        "untouched": 2,
    }  # the stored object is not changed in place
    assert r["validImpact"] == {"absent": True, "good": True, "negative": False, "text": False}
    assert r["sums"] == {"water_ml": 2.5, "embodied_co2_g": 0.5}


# -- lib/reestimate.js: which records are estimated again, and at what context -----------------------

NOTHING = {"marked": 0, "cleared": 0}


def test_turns_recorded_before_the_older_ones_rendered_are_marked_once_their_chain_reaches_the_start():
    r = _results()["reestimate"]["lazyA"]
    # x3, x4 recorded; x3 linked to x2 (not stored yet: nothing to change); x0, x1 stored; x2 stored: both marked
    assert r["steps"] == [NOTHING] * 5 + [{"marked": 2, "cleared": 0}]
    assert r["marked"]["x3"][:3] == [0, 0, True] and r["marked"]["x4"][:3] == [1, 1000, True]
    assert not any(v[2] for k, v in r["marked"].items() if k not in ("x3", "x4"))
    # their targets: the whole conversation before them, at their true positions
    assert r["targets"] == {
        "gemini:k:x3": {"context_tokens": 111, "turn_index": 3},
        "gemini:k:x4": {"context_tokens": 1111, "turn_index": 4},
    }
    # once written, the chain gives every record what it holds: nothing more to do
    assert r["after"]["x3"] == [3, 111, False, False, None] and r["again"] == NOTHING


def test_a_first_turn_taken_for_a_regeneration_is_cleared_once_the_turn_below_reaches_it():
    r = _results()["reestimate"]["lazyB"]
    # x0, the true first turn, estimated while x3 still had nothing above it: flagged, naming x3
    assert r["flagged"] == [0, 0, False, True, ["x3"]]
    assert r["linkedEarly"] == r["flagged"]  # x3 linked to x2, not stored yet: not proven
    assert r["steps"][-1] == {"marked": 2, "cleared": 1}
    assert r["after"] == [0, 0, False, False, None]


def test_a_real_regeneration_keeps_its_flag_when_its_twin_is_linked_elsewhere():
    r = _results()["reestimate"]["regen"]
    # y3b regenerates y3 (both first rendered); y2 renders above y3 only: y3 is marked, y3b stays a regeneration,
    # and y2 (taken for a third generation) stays flagged until y3b too is found below it
    assert r["steps"][-1] == {"marked": 1, "cleared": 0}
    assert r["after"]["y3"][:3] == [0, 0, True]
    assert r["after"]["y3b"] == [0, 0, False, True, ["y3"]]
    assert r["after"]["y2"] == [0, 0, False, True, ["y3", "y3b"]]


def test_a_conversation_recorded_in_order_is_never_marked():
    assert _results()["reestimate"]["inOrder"] == [NOTHING] * 5


def test_reestimate_helpers():
    r = _results()["reestimate"]
    assert r["below"] == {"cycle": ["c1", "c2"], "branches": ["a0", "a1", "b1", "a2"]}
    # evidence kept only for a first rendered turn matched by first rendered turns (at most 10)
    assert r["evidence"] == [["p"], None, None, None]
    # counts and the new place, never text
    assert r["request"] == {
        "op": "reestimate",
        "region": "FR",
        "pue": 1.2,
        "records": [
            {
                "platform": "chatgpt",
                "model_label": "",
                "prompt_tokens": 40,
                "reply_tokens": 400,
                "reasoning_tokens": 40,
                "reasoning_estimated": True,
                "reasoning_seconds": 12,
                "turn_index": 4,
                "context_tokens": 99,
            }
        ],
    }
    f = r["fields"]
    assert (f["turn_index"], f["context_tokens"], f["reasoning_tokens"], f["input_tokens"]) == (
        4,
        99,
        41,
        900,
    )
    assert f["model"] == {"label": "GPT-5", "is_fallback": False} and f["pue"] == 1.2
    assert f["impact_key"] == '["FR",null,1.2,null,""]' and f["warnings"] == [f"w{k}" for k in range(10)]
    assert r["marked"] == [["conv:gemini:k", "gemini:k:m1", {"context_tokens": 1, "turn_index": 1}]]


# -- lib/importer.js: a ChatGPT export merged into the stored conversations -------------------------------


def test_an_import_skips_what_was_recorded_live_and_links_it_to_the_exports_turns():
    m = _results()["importer"]["merge"]
    # the export's turns 2 and 3 were recorded live (by message ids the page shows): only turns 0, 1 added
    assert (
        m["added"] == ["e0", "e1"] and m["skipped"] == 2 and m["changed"] and m["title"] == "from the export"
    )
    r = m["records"]
    # the live first-on-screen turn gets the export's predecessor and learns the export's gen for it;
    # a live turn that named its predecessor by another message id of the reply names it by its gen
    assert r["d2"] == ["e1", ["t2"], True, "live"] and r["d3"] == ["d2", ["e3"], True, "live"]
    assert r["d9"] == ["e1", None, True, "live"]
    # their chain now reaches the conversation's start: marked to be estimated again (lib/reestimate.js)
    assert m["marked"] == 3
    assert r["e0"] == [None, [], False, "import"] and r["e1"] == ["e0", ["y1"], False, "import"]


def test_importing_the_same_records_again_changes_nothing():
    assert _results()["importer"]["again"] == {"added": 0, "skipped": 4, "changed": False}


def test_a_generation_is_found_by_any_message_id_of_its_reply():
    assert _results()["importer"]["canonical"] == ["e1", "d3", "zz", None]


def test_an_imported_record_is_a_valid_record_stamped_with_the_settings_used():
    r = _results()["importer"]["record"]
    assert r == {
        "id": "chatgpt:k:e0",
        "msg_ids": ["z"],
        "source": "import",
        "valid": True,
        "impact_key": '["FR",null,null,null,""]',
        "turn_index": 0,
        "context_tokens": 0,
        "energy_wh": 0.3,
    }
    assert _results()["importer"]["farTime"] == {"valid": True, "dated": True}
    # a batch with a bad record, too many records, no settings or no platform is refused whole, with a clear message
    assert _results()["importer"]["refused"] == [True] * 8


def test_a_live_turn_named_otherwise_by_its_page_is_matched_by_turn_and_token_counts():
    """DeepSeek's page names a reply by its row key and a hash of the text read, the export by its message id:
    the live turn at the same place with the nearest counts is the same generation (it learns the export's ids,
    so a second import matches by id); a regeneration the page never showed, and a turn far off, are added."""
    t = _results()["importer"]["twins"]
    assert t["skipped"] == 2 and sorted(t["added"]) == ["m5", "m9"]
    assert t["records"]["row-1-aa"] == [None, ["m2"], "live"] and t["records"]["row-3-bb"] == [
        "row-1-aa",
        ["m4"],
        "live",
    ]
    assert t["records"]["m5"] == ["row-1-aa", [], "import"]  # its predecessor named by the live gen
    assert t["again"] == [0, 4] and t["far"] == [1, 0]


def test_an_imported_conversation_belongs_to_the_platform_pycore_detected():
    """A batch names the service its export came from (a conversation's records may name it too): the records
    are keyed under it, and a batch with no registered platform, or records naming two, is refused whole."""
    out = _results()["importer"]
    assert out["platforms"] == [["deepseek", "deepseek:s1:d0"], ["gemini", "gemini:s2:d1"]]
    assert out["refused"][2:5] == [True, True, True]  # no platform, an unknown one, two in a conversation


CONTENT_ONLY = ("exchange", "link", "badges")
PAGES_ONLY = ("py", "clear", "reindex", "offscreenIdle", "recompute", "importHistory", "options")


def test_a_content_script_is_refused_the_extension_pages_messages():
    r = _results()["messages"]["refusals"]
    for who in ("contentScript", "lookalike"):  # a site's page, even one whose URL contains the extension's
        for t in PAGES_ONLY:
            assert r[who][t] == f"{t} messages come from the extension's own pages", (who, t)
        assert all(r[who][t] is None for t in (*CONTENT_ONLY, "siteStatus", "status")), who


def test_an_extension_page_is_refused_the_content_scripts_messages():
    r = _results()["messages"]["refusals"]
    for t in CONTENT_ONLY:
        assert r["popup"][t] == f"{t} messages come from tabs", t
    assert all(r["popup"][t] is None for t in (*PAGES_ONLY, "siteStatus", "status"))
    # the import page runs in a tab: it may send both kinds (it sends importHistory)
    assert all(v is None for v in r["importTab"].values())


def test_an_exchange_is_cut_to_its_bounds_and_typed():
    m = _results()["messages"]
    e = m["exchange"]
    # only the known fields, each string cut to its bound (gen ids to MAX_GEN = 300, text to 20e6 characters)
    assert e["keys"] == sorted(
        [
            "platform",
            "conversation_id",
            "gen",
            "prev_gen",
            "turn_index",
            "title",
            "model_label",
            "prompt",
            "reply",
            "reasoning",
            "reasoning_seconds",
            "observed_at",
        ]
    )
    assert (e["prev"], e["conv"], e["title"], e["model"], e["prompt"]) == (300, 200, 300, 200, 20_000_000)
    # wrong types become empty text, unknown durations null, a missing time the time received
    assert e["reply"] == "" and e["reasoning"] == "" and e["secs"] is None and e["observedIsNow"]
    assert e["kept"]["reasoning_seconds"] == 12.5 and e["kept"]["observed_at"] == 123
    assert e["kept"]["model_label"] is None and e["kept"]["prev_gen"] is None
    assert m["secs"] == [None, None, None, None, 0, 4]
    # a time no Date can hold (or none) is the time received: the record keeps a calendar day
    assert m["observed"] == [True] * 8
    # a turn cannot follow itself; an empty or missing predecessor is none
    assert m["prevGen"] == [None, None, None, None, "g0"]


def test_a_bad_exchange_is_refused_with_a_clear_error():
    assert _results()["messages"]["exchangeRefused"] == [
        "unknown platform",
        "bad turn_index",
        "bad turn_index",
        "bad turn_index",
        "missing conversation or generation id",
        "missing conversation or generation id",
        "bad prev_gen: a generation id or null",
        "unknown platform",
    ]


def test_a_badge_query_is_bounded_across_conversations():
    b = _results()["messages"]
    # 4000 of the first conversation (non-strings dropped), the 1000 left of 5000 from the second, none after
    assert b["badges"] == {"lengths": [4000, 1000], "max": 5000}
    assert b["badgesRefused"] == [
        "unknown platform",
        "badges: conversations must be a list",
        "badges: each conversation needs an id and a list of gens",
        "badges: each conversation needs an id and a list of gens",
    ]


def test_the_popup_reaches_only_its_python_ops():
    assert _results()["messages"]["py"] == [None, None, None] + ["op not allowed"] * 4
