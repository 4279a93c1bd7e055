"""extension/lib/store.js and lib/chain.js under Node: context of a turn (by position and along the
chain of generations), the regenerated flag, queue order, validation, migration, aggregation."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@functools.cache
def _results() -> dict:
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed")
    p = subprocess.run([node, str(HERE / "store_check.mjs")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_store_functions():
    out = _results()
    # turn k's context: prompt + reply of the latest generation of every earlier turn
    assert out["context"] == [0, 110, 110 + 220, 110 + 220 + 330]
    # 2 usable documents; the deepseek one has no exchanges list, the broken gemini one only bad records
    assert out["checked"] == {"docs": 2, "skippedDocs": 1, "skippedRecords": 3, "newer": 1}
    assert out["totals"] == {"today": 2, "week": 4, "all": 5}
    assert out["platforms"] == {"chatgpt": 4, "gemini": 1}
    assert out["daily"] == 14 and out["dailyToday"] == 2
    assert out["order"] == ["c", "g"]  # newest first
    assert out["migrateCurrent"] is True and out["migrateUnknownOld"] is None
    # the index the popup reads first says the same and carries the damage report
    assert out["indexValid"] and out["indexAgrees"]
    assert out["indexSkipped"] == {"docs": 1, "records": 3, "newer": 1}
    assert out["indexRejects"] == [False, False, False, False]


def test_context_follows_the_chain_of_generations():
    c = _results()["chain"]
    # after a regeneration of turn 1, each branch counts its own turn 1 (by position: the latest only)
    assert c["branch"] == [{"context_tokens": 11, "turn_index": 2, "chained": 2},
                           {"context_tokens": 101, "turn_index": 2, "chained": 2},
                           {"context_tokens": 1011, "turn_index": 3, "chained": 3}]
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
    assert c["cycle"] == [{"context_tokens": 111, "turn_index": 4, "chained": 2},
                          {"context_tokens": 118, "turn_index": 5, "chained": 1}]


def test_regenerated_means_same_predecessor():
    assert _results()["chain"]["regenerated"] == {
        "sameParent": True, "newTurn": False, "nextOnFirstBranch": False, "firstTurnAgain": True,
        # the lazy-load case: a first rendered turn linked to older turns no longer looks like turn 0
        "lazyFirstTurnUnlinked": True, "lazyFirstTurnLinked": False,
        "oldByPosition": True, "oldOtherPosition": False, "firstMountedOtherIndex": False,
    }


def test_queue_waits_for_a_pending_predecessor():
    q = _results()["chain"]["queue"]
    assert q["chain"] == ["q", "a", "b", "c"]
    assert q["byTurn"] == ["t0", "t1", "t2"]
    assert q["cycle"] == ["q", "p"] and q["self"] == ["s", "t"]


def test_prev_gen_is_validated_and_schema_1_records_load():
    c = _results()["chain"]
    assert c["valid"] == {"absent": True, "none": True, "gen": True, "number": False, "empty": False,
                          "long": False, "object": False}
    # migrated to schema 2 without inventing a prev_gen (absent = unknown, not "nothing before")
    assert c["v1"] == {"loads": 1, "version": 2, "prevGen": False}
