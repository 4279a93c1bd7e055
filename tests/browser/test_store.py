"""extension/lib/store.js under Node: context of a turn, validation, migration, aggregation."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def test_store_functions():
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed")
    p = subprocess.run([node, str(HERE / "store_check.mjs")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
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
