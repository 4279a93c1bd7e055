"""Settings that turn GPU energy into wall energy and CO2 (region or custom grid, PUE) apply to the
exchanges already stored: the service worker recomputes them through pycore's `impact` op.

Each stored record is checked against pycore in this process: bit for bit against the impact op
on its stored GPU energy, and to 1e-9 against recording the same turns under the new settings.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from pycore.browser.entry import handle

from .expected import ALL
from .harness import Harness, fresh_id, wait_for
from .reference import assert_matches, exchange_reference

GPU = ("energy_wh", "energy_wh_low", "energy_wh_high")
WALL_CO2 = (
    "wall_wh",
    "wall_wh_low",
    "wall_wh_high",
    "co2_g",
    "co2_g_low",
    "co2_g_high",
    *(
        f"{n}{end}"
        for n in ("water_ml", "water_onsite_ml", "water_offsite_ml", "embodied_co2_g")
        for end in ("", "_low", "_high")
    ),
)
DEFAULTS = {"region": None, "grid_g_per_kwh": None, "pue": None, "wue": None, "badges": True}


@pytest.fixture
def fresh(clean: Harness):
    """`clean`, and the settings and test hooks put back afterwards (the browser is shared)."""
    yield clean
    clean.remove_local("debug")
    clean.set_local({"settings": dict(DEFAULTS)})


def op_settings(settings: dict) -> dict:
    return {k: v for k, v in settings.items() if k in ("region", "grid_g_per_kwh", "pue") and v is not None}


def impact_key(h: Harness, settings: dict) -> str:
    """The settings' key as the extension computes it (lib/store.js, imported in an extension page)."""
    return h.probe.evaluate("async (s) => (await import('/lib/store.js')).impactKey(s)", settings)


def all_records(h: Harness) -> dict[str, dict]:
    """Every stored record by id, with its document's platform."""
    out = {}
    for k, doc in h.local().items():
        if k.startswith("conv:"):
            for r in doc["exchanges"]:
                assert r["id"] not in out, f"{r['id']} stored twice"
                out[r["id"]] = {**r, "platform": doc["platform"]}
    return out


def recorded(h: Harness, fx, n: int | None = None) -> tuple[str, list[dict]]:
    _, _, conv = h.fixture_page(fx)
    return conv, h.wait_exchanges(fx.platform, conv, n or len(fx.turns))


def wait_recomputed(h: Harness, settings: dict, n: int, timeout: float = 60) -> dict[str, dict]:
    """Until all n records carry the settings' key and the worker says every record does."""
    key = impact_key(h, settings)

    def done():
        recs = all_records(h)
        return (
            len(recs) == n
            and all(r.get("impact_key") == key for r in recs.values())
            and h.local("impact_applied") == key
            and h.local("impact_progress") is None
            and recs
        )

    return wait_for(done, timeout, f"{n} records recomputed for {settings}")


def assert_recomputed(new: dict, old: dict, settings: dict) -> None:
    """A recomputed record: GPU energy as stored before, wall and CO2 exactly pycore's impact op (CPython)."""
    for f in GPU:
        assert new[f] == old[f], f  # the GPU energy never changes
    sent = {
        "platform": old["platform"],
        "model_label": old["model_label"],
        "warnings": old["warnings"],
        **{f: old[f] for f in GPU},
    }
    out = json.loads(handle(json.dumps({"op": "impact", "records": [sent], **op_settings(settings)})))
    want = out["value"]["records"][0]
    for f in WALL_CO2:
        assert new[f] == pytest.approx(want[f], rel=1e-12, abs=0), f
        assert new[f] == want[f], f  # Pyodide and CPython run the same float operations
    assert new["region"] == want["region"] and new["grid_g_per_kwh"] == want["grid_g_per_kwh"]
    assert new["warnings"] == want["warnings"][:10]
    assert new["pue"] == settings.get("pue")
    for f in (
        "id",
        "gen",
        "time",
        "turn_index",
        "input_tokens",
        "output_tokens",
        "prompt_tokens",
        "reply_tokens",
    ):
        assert new[f] == old[f], f


def totals(popup) -> dict[str, float]:
    t = popup.locator("[data-testid='totals']")
    return {
        f: float(t.get_attribute(f"data-{f.replace('_', '-')}"))
        for f in ("exchanges", "energy_wh", "wall_wh", "co2_g")
    }


def sums(records) -> dict[str, float]:
    rs = list(records)
    return {"exchanges": len(rs), **{f: sum(r[f] for r in rs) for f in ("energy_wh", "wall_wh", "co2_g")}}


def js_format(page, fn: str, x: float) -> str:
    """A number as the popup prints it (extension/lib/format.js, imported in the popup page)."""
    return page.evaluate("async ([fn, x]) => (await import('/lib/format.js'))[fn](x)", [fn, x])


def close_to(a: dict, b: dict) -> bool:
    return all(a[k] == pytest.approx(b[k], rel=1e-9) for k in b)


def test_new_settings_recompute_every_stored_record_and_the_popup_totals(fresh: Harness):
    h = fresh
    convs = {fx.platform: (fx, *recorded(h, fx)) for fx in (ALL["chatgpt"], ALL["gemini"], ALL["deepseek"])}
    old = all_records(h)
    assert len(old) == 6
    popup = h.popup()
    wait_for(lambda: totals(popup)["exchanges"] == 6, 10, "6 exchanges in the popup")
    assert close_to(totals(popup), sums(old.values()))
    # the settings, as a user sets them
    popup.click("#tab-settings")
    popup.wait_for_selector("#region option[value='FR']", state="attached")
    assert "every recorded exchange" in popup.locator("#settings-form .hint").inner_text()
    popup.select_option("#region", "FR")
    popup.fill("#pue", "1.5")
    popup.click("#settings-form button[type='submit']")
    settings = {**DEFAULTS, "region": "FR", "pue": 1.5}
    new = wait_recomputed(h, settings, 6)
    for rid, r in new.items():
        assert_recomputed(r, old[rid], settings)
        assert r["wall_wh"] != old[rid]["wall_wh"] and r["co2_g"] != old[rid]["co2_g"]
    # and they are what recording the same turns under these settings gives
    for platform, (fx, conv, _) in convs.items():
        records = h.exchanges(platform, conv)
        assert_matches(
            records, exchange_reference(platform, fx.model_label, list(fx.turns), region="FR", pue=1.5)
        )
    # the popup: totals, per conversation, with GPU energy unchanged, and no "recomputing" left
    popup.click("#tab-overview")
    wait_for(lambda: close_to(totals(popup), sums(new.values())), 10, "the popup totals to follow")
    assert totals(popup)["energy_wh"] == pytest.approx(sums(old.values())["energy_wh"], rel=1e-12)
    assert popup.locator("[data-testid='recompute-status']").is_hidden()
    items = popup.locator("[data-testid='conversation']")
    for i in range(items.count()):
        el = items.nth(i)
        mine = [r for r in new.values() if r["id"].startswith(f"{el.get_attribute('data-platform')}:")]
        assert float(el.get_attribute("data-wall-wh")) == pytest.approx(
            sum(r["wall_wh"] for r in mine), rel=1e-9
        )
        assert float(el.get_attribute("data-co2-g")) == pytest.approx(sum(r["co2_g"] for r in mine), rel=1e-9)
    # the aggregates the popup reads equal a recount of the records
    convs_co2 = [
        c["co2_g"] for k, shard in h.local().items() if k.startswith("idx:c:") for c in shard.values()
    ]
    assert sum(convs_co2) == pytest.approx(sums(new.values())["co2_g"])
    assert h.aggregate_mismatches() == []
    # Insights and the export see the new figures
    popup.click("#tab-insights")
    wait_for(lambda: popup.locator("#equivalents li[data-key]").count() >= 5, 30, "equivalents")
    summary = popup.locator("#insight-summary").inner_text()
    assert f"{js_format(popup, 'energy', sums(new.values())['wall_wh'])} (" in summary
    assert f"{js_format(popup, 'mass', sums(new.values())['co2_g'])} CO₂" in summary
    popup.click("#tab-overview")
    with popup.expect_download() as dl:
        popup.click("#export-csv")
    rows = list(csv.DictReader(io.StringIO(open(dl.value.path(), encoding="utf-8").read())))
    assert sorted(float(r["co2_g"]) for r in rows) == sorted(r["co2_g"] for r in new.values())
    assert {r["region"] for r in rows} == {"FR"}


def test_a_recompute_stopped_midway_resumes_and_an_exchange_meanwhile_gets_the_new_settings(fresh: Harness):
    h = fresh
    fx, other = ALL["chatgpt"], ALL["deepseek"]
    recorded(h, fx)
    recorded(h, other)
    old = all_records(h)
    # one record per batch, held once one is done; the next exchanges wait in the queue
    h.set_local({"debug": {"recomputeBatch": 1, "holdRecompute": 1, "holdQueue": True}})
    _, _, late = h.fixture_page(fx)
    wait_for(
        lambda: len([p for p in h.pending() if p["exchange"]["conversation_id"] == late]) == 2,
        30,
        "two pending exchanges",
    )
    settings = {**DEFAULTS, "region": "DE", "pue": 1.3}
    key = impact_key(h, settings)
    h.set_local({"settings": settings})
    wait_for(lambda: (h.local("impact_progress") or {}).get("done") == 1, 30, "the first batch")
    popup = h.popup()
    status = popup.locator("[data-testid='recompute-status']")
    wait_for(lambda: status.get_attribute("data-running") == "true", 10, "the popup to say it recomputes")
    assert "Recomputing" in status.inner_text() and "(1 of 4)" in status.inner_text()
    h.kill_service_worker()
    half = all_records(h)
    assert sorted(r.get("impact_key") == key for r in half.values()) == [False, False, False, True]
    # the aggregates followed the batch written before the stop, in the same write: the popup's totals are
    # the records' as stored (one recomputed, three not yet), and equal a recount
    assert close_to(totals(popup), sums(half.values())) and not close_to(totals(popup), sums(old.values()))
    assert h.aggregate_mismatches() == []
    assert h.local("impact_applied") is None and h.local("impact_progress") == {
        "key": key,
        "done": 1,
        "total": 4,
    }
    h.remove_local("debug")  # an event: Chrome starts the worker again, which resumes both
    new = wait_recomputed(h, settings, 6)
    for rid, r in old.items():
        assert_recomputed(new[rid], r, settings)
    late_records = h.exchanges(fx.platform, late)
    assert_matches(
        late_records, exchange_reference(fx.platform, fx.model_label, list(fx.turns), region="DE", pue=1.3)
    )
    assert all(r["impact_key"] == key and r["region"] == "DE" for r in late_records)
    wait_for(lambda: close_to(totals(popup), sums(new.values())), 10, "the popup totals to follow")
    wait_for(lambda: status.is_hidden(), 10, "the notice to go")
    assert totals(popup)["exchanges"] == 6


def test_an_exchange_stored_while_a_recompute_runs_is_kept_when_the_recompute_writes_its_conversation(
    fresh: Harness,
):
    """The recompute reads every document once and then uses what it read, except the documents the worker
    wrote meanwhile: those it reads again, so a record stored in the middle of a pass is not overwritten."""
    h = fresh
    fx = ALL["chatgpt"]
    # storage order (and so the pass's order): the first conversation's records, then the streamed one's
    first = "0" + fresh_id(fx)[1:]
    streamed = "f" + fresh_id(fx)[1:]
    h.fixture_page(fx, conversation_id=first)
    h.wait_exchanges(fx.platform, first, len(fx.turns))
    page, _, _ = h.fixture_page(fx, conversation_id=streamed, setup={"stream": True})
    h.wait_exchanges(fx.platform, streamed, 1)  # the last turn still streams
    old = all_records(h)
    h.set_local({"debug": {"recomputeBatch": 1, "pauseRecompute": 1}})
    settings = {**DEFAULTS, "region": "SE", "pue": 1.4}
    key = impact_key(h, settings)
    h.set_local({"settings": settings})
    # one record written, then the pass waits before the next: the streamed conversation not written yet
    wait_for(lambda: (h.local("impact_progress") or {}).get("done") == 1, 30, "the first batch")
    page.evaluate("t => __pw.streamParagraph(t)", "A late reply, stored while the recompute runs.")
    page.evaluate("() => __pw.finish()")
    late = h.wait_exchanges(fx.platform, streamed, 2)
    assert late[1]["impact_key"] == key  # estimated under the new settings, stored by the worker meanwhile
    assert h.local("impact_applied") is None  # the pass has not ended
    h.set_local({"debug": {"recomputeBatch": 1}})  # the pass goes on
    new = wait_recomputed(h, settings, len(old) + 1)
    assert new[late[1]["id"]] == {**late[1], "platform": fx.platform}
    for rid, r in old.items():
        assert_recomputed(new[rid], r, settings)
    assert h.aggregate_mismatches() == []


def test_an_exchange_estimated_before_a_settings_change_is_stored_under_the_new_settings(fresh: Harness):
    h = fresh
    fx = ALL["gemini"]
    h.set_local({"debug": {"holdStore": True}})  # estimated under the defaults, then held before it is stored
    _, _, conv = h.fixture_page(fx)
    wait_for(lambda: h.message("status")["storeHeld"], 60, "an estimated exchange held")
    settings = {**DEFAULTS, "grid_g_per_kwh": 100, "pue": 2}
    key = impact_key(h, settings)
    h.set_local({"settings": settings})
    wait_for(lambda: h.local("impact_applied") == key, 30, "the recompute (of nothing stored yet) to finish")
    h.remove_local("debug")
    records = h.wait_exchanges(fx.platform, conv, 2)
    assert all(r["impact_key"] == key and r["region"] == "custom" and r["pue"] == 2 for r in records)
    assert_matches(
        records, exchange_reference(fx.platform, fx.model_label, list(fx.turns), grid_g_per_kwh=100, pue=2)
    )
    for r in records:
        assert r["co2_g"] == pytest.approx(r["wall_wh"] * 100 / 1000, rel=1e-12)
    assert h.local("impact_applied") == key


def test_records_of_an_older_schema_are_recomputed_once_when_the_worker_indexes_them(fresh: Harness):
    """Schema-2 records (no impact_key), as an older PromptWatt left them, get the current settings when
    the worker rebuilds the index (browser start, install/update, or the popup finding no index)."""
    h = fresh
    fx = ALL["deepseek"]
    settings = {**DEFAULTS, "region": "PL"}
    h.set_local({"settings": settings})
    conv, records = recorded(h, fx)
    assert all(r["region"] == "PL" for r in records)
    # as schema 2 stored them: recorded under the defaults, with no settings key
    before = exchange_reference(fx.platform, fx.model_label, list(fx.turns))
    older = [
        {
            **{k: v for k, v in r.items() if k != "impact_key"},
            **{f: b[f] for f in WALL_CO2},
            "region": b["region"],
            "grid_g_per_kwh": b["grid_g_per_kwh"],
        }
        for r, b in zip(records, before, strict=True)
    ]
    doc = h.local(f"conv:{fx.platform}:{conv}")
    h.set_local({f"conv:{fx.platform}:{conv}": {**doc, "v": 2, "exchanges": older}})
    h.remove_local("index")
    popup = h.popup()  # no index: the popup asks the worker to rebuild it
    new = wait_recomputed(h, settings, 2)
    assert_matches(
        h.exchanges(fx.platform, conv),
        exchange_reference(fx.platform, fx.model_label, list(fx.turns), region="PL"),
    )
    for r in older:
        assert_recomputed(new[r["id"]], {**r, "platform": fx.platform}, settings)
    assert h.local(f"conv:{fx.platform}:{conv}")["v"] == 4
    wait_for(lambda: close_to(totals(popup), sums(new.values())), 10, "the popup totals")
    assert totals(popup)["exchanges"] == 2


def test_a_record_the_impact_op_refuses_is_reported_and_the_others_recomputed(fresh: Harness):
    h = fresh
    fx = ALL["chatgpt"]
    conv, records = recorded(h, fx)
    doc = h.local(f"conv:{fx.platform}:{conv}")
    # valid for the store (finite, >= 0) but not a range: low above central
    doc["exchanges"][0]["energy_wh_low"] = doc["exchanges"][0]["energy_wh"] * 2
    h.set_local({f"conv:{fx.platform}:{conv}": doc})
    settings = {**DEFAULTS, "region": "SE"}
    key = impact_key(h, settings)
    h.set_local({"settings": settings})
    wait_for(lambda: h.local("impact_applied") == key, 30, "the recompute to finish")
    bad, good = h.exchanges(fx.platform, conv)
    assert bad.get("impact_key") != key and bad["wall_wh"] == records[0]["wall_wh"]  # kept as it was
    assert_recomputed(good, {**records[1], "platform": fx.platform}, settings)
    problems = h.local("problems") or []
    assert any(
        p["code"] == "recompute_skipped"
        and "1 stored exchange" in p["message"]
        and "low <= central <= high" in p["message"]
        for p in problems
    ), problems


def test_records_computed_by_an_earlier_version_are_recomputed_once_after_an_update(fresh: Harness):
    """The key holds the extension version (its data files: grid intensities, PUE ranges). Records an
    earlier version computed, with that version's figures, are recomputed when the worker indexes them
    (it does on install/update), with no change of settings."""
    h = fresh
    fx = ALL["gemini"]
    settings = {**DEFAULTS, "region": "FR"}
    h.set_local({"settings": settings})
    conv, records = recorded(h, fx)
    key = impact_key(h, settings)
    version = h.probe.evaluate("() => chrome.runtime.getManifest().version")
    assert json.loads(key)[-1] == version
    old_key = h.probe.evaluate("async (s) => (await import('/lib/store.js')).impactKey(s, '0.0.1')", settings)
    # as the earlier version stored them: other wall and CO2 figures (its data files), its key
    earlier = [{**r, **{f: r[f] * 1.5 for f in WALL_CO2}, "impact_key": old_key} for r in records]
    doc = h.local(f"conv:{fx.platform}:{conv}")
    h.set_local({f"conv:{fx.platform}:{conv}": {**doc, "exchanges": earlier}})
    h.remove_local("index", "impact_applied")
    popup = h.popup()  # no index: the popup asks the worker to rebuild it, as an update does
    new = wait_recomputed(h, settings, 2)
    for r in records:
        assert_recomputed(new[r["id"]], {**r, "platform": fx.platform}, settings)
        assert all(new[r["id"]][f] == r[f] for f in WALL_CO2)  # back to this version's figures
    wait_for(lambda: close_to(totals(popup), sums(new.values())), 10, "the popup totals")
