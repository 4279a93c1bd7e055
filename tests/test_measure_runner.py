"""Bookkeeping from meter windows to CSV rows, the measured-CSV schema through dataset.build(),
refusals, the CLI's error messages, the engines (vLLM faked), and one end-to-end CPU run.

Nothing here is a measurement: the meter is a fake at the NVML boundary, or absent on the CPU.
"""

from __future__ import annotations

import csv
import sys
import types
from pathlib import Path

import pytest
from measure_fakes import FakeNvml

from pycore.errors import InvalidInput
from pycore.measure import cli as measure_cli
from pycore.measure import engines, runner, schema
from pycore.measure import meter as meter_mod
from pycore.measure.engines import Generated
from pycore.measure.errors import EngineError, EngineUnavailable, MeterReadingError, ModelTooBig
from pycore.measure.grid import Point
from pycore.measure.meter import EnergyMeter, Measurement, NullMeter, SimulatedMeter
from pycore.measure.models import resolve
from pycore.training import dataset

TINY = {
    "num_hidden_layers": 2,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "vocab_size": 512,
}
TINY_ARGS = [a for k, v in TINY.items() for a in ("--override", f"{k}={v}")]


class FakeEngine:
    def __init__(self, name: str = "hf-transformers", version: str = "5.23.0", tp: int = 1) -> None:
        self.name, self.version, self.precision, self.tp = name, version, "bf16", tp
        self.calls: list[tuple[Point, int]] = []

    def load(self) -> None:
        pass

    def generate(self, point: Point, seed: int) -> Generated:
        self.calls.append((point, seed))
        return Generated(point.batch, point.input_tokens, point.output_tokens)

    def close(self) -> None:
        pass


@pytest.fixture
def gpu_run(monkeypatch, tmp_path):
    """A ModelRun on a fake H100 meter (250 J and 0.5 s per reading), writing to tmp/measured/run.csv."""
    fake = FakeNvml().install(monkeypatch)
    monkeypatch.setattr(runner, "_touch_cuda", lambda: None)

    def make(engine=None, model="meta-llama/Llama-3.1-8B-Instruct", overrides=None, on_bad_reading="raise"):
        meter = EnergyMeter(1, sample_hz=0).open()
        ctx = runner.make_context(meter, "cuda", "promptwatt measure ...", idle_seconds=5.0, warmup_runs=1)
        arch = resolve(model=model, overrides=overrides)
        return runner.ModelRun(
            ctx,
            arch,
            model,
            overrides or {},
            engine or FakeEngine(),
            meter,
            tmp_path / "measured" / "run.csv",
            repeats=2,
            on_bad_reading=on_bad_reading,
            say=lambda s: None,
        )

    make.fake = fake
    make.csv = tmp_path / "measured" / "run.csv"
    return make


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_aggregate_is_exact():
    runs = [
        Measurement("p#r0", 2.0, {"0": 600.0}, {"0": 630.0}, 21),
        Measurement("p#r1", 2.0, {"0": 400.0}, {"0": 380.0}, 19),
    ]
    row = runner.aggregate(Point(100, 100, 4), runs, idle_w=50.0)
    assert row["energy_wh"] == row["energy_wh_gross"] == 500.0 / 4 / 3600
    assert row["energy_wh_net"] == (500.0 - 50.0 * 2.0) / 4 / 3600
    assert row["energy_wh_sampled"] == 505.0 / 4 / 3600
    assert row["counter_vs_sampled_pct"] == pytest.approx(0.0, abs=1e-12)  # +5 % and -5 %
    assert row["repeat_spread_pct"] == 40.0 and row["energy_j_repeats"] == "600;400"
    assert row["power_w"] == 250.0 and row["output_tok_s"] == 200.0 and row["step_s"] == 0.02
    assert row["energy_covers"] == schema.COVERS_COUNTER and row["not_measured_reason"] == ""


def test_rows_carry_the_numbers_and_the_provenance(gpu_run):
    run = gpu_run()
    res = run.run_point(Point(100, 300, 4))
    assert len(run.engine.calls) == 2 and len({seed for _, seed in run.engine.calls}) == 2
    [row] = read_csv(gpu_run.csv)
    assert list(row) == schema.FIELDS
    # each window: one 250 J counter step over 0.5 s; idle: the same, so 500 W
    assert float(row["energy_wh"]) == pytest.approx(250.0 / 4 / 3600, rel=1e-9)
    assert float(row["idle_w"]) == 500.0 and float(row["energy_wh_net"]) == 0.0
    assert float(row["power_w"]) == 500.0 and float(row["seconds"]) == 0.5
    assert row["repeat_spread_pct"] == "0" and row["energy_j_repeats"] == "250;250"
    assert (
        row["gpu"] == "H100-SXM"
        and row["gpu_name"] == "NVIDIA H100 80GB HBM3"
        and row["driver"] == "580.159.04"
    )
    assert row["sm_clock_mhz"] == "1980" and row["power_limit_w"] == "700"
    assert (
        row["engine"] == "hf-transformers" and row["engine_version"] == "5.23.0" and row["use"] == "external"
    )
    assert (row["input_tokens"], row["output_tokens"], row["batch"], row["max_num_seqs"]) == (
        "100",
        "300",
        "4",
        "4",
    )
    assert row["not_measured_reason"] == "" and row["energy_covers"] == "gpu_counter_gross_whole_batch"
    assert res.row is not None and res.error == ""


def test_measured_rows_load_through_dataset_build(gpu_run):
    gpu_run(FakeEngine("hf-transformers")).run_point(Point(100, 100, 1))
    gpu_run(FakeEngine("vllm-0.11", "0.11.2")).run_point(Point(900, 100, 8))
    gpu_run(FakeEngine("vllm-0.11", "0.11.2"), overrides={"num_hidden_layers": 16}).run_point(
        Point(100, 100, 1)
    )
    df = dataset.build(gpu_run.csv.parent)
    ours = df[df.source == "promptwatt"].reset_index(drop=True)
    assert len(df) == 997 + 3 and len(ours) == 3
    assert list(df.columns) == dataset.COLUMNS == schema.DATASET_COLUMNS
    by_engine = {(r.engine, "[" in r.model_id): r for r in ours.itertuples()}
    assert by_engine[("hf-transformers", False)].use == "external"
    assert by_engine[("vllm-0.11", False)].use == "train"  # a plain catalog model measured with vLLM
    assert by_engine[("vllm-0.11", True)].use == "external"  # a variant: training.frame cannot resolve it
    assert (
        ours.energy_wh.gt(0).all() and set(ours.gpu) == {"H100-SXM"} and ours.hist_ref.fillna("").eq("").all()
    )
    # the training frame takes the train row as it takes ML.ENERGY's
    from pycore.training.frame import build as frame_build

    frame = frame_build(ours[ours.use == "train"])
    assert frame.X.shape[0] == 1 and frame.y_wh[0] == pytest.approx(250.0 / 8 / 3600)


def test_no_measured_files_keep_the_committed_table_byte_identical(tmp_path):
    path = tmp_path / "m.csv"
    dataset.write(dataset.build(tmp_path / "absent"), path)
    assert path.read_bytes() == dataset.TIDY.read_bytes()
    (tmp_path / "empty").mkdir()
    dataset.write(dataset.build(tmp_path / "empty"), path)
    assert path.read_bytes() == dataset.TIDY.read_bytes()


def test_a_backwards_reading_refuses_the_row_and_says_which(gpu_run):
    run = gpu_run()
    gpu_run.fake.energy_override[0] = [9_000_000, 9_250_000, 9_500_000, 9_400_000]  # 2nd repeat goes back
    with pytest.raises(
        MeterReadingError, match=r"refused to write in100-out100-b1: GPU 0: energy counter went backwards"
    ):
        run.run_point(Point(100, 100, 1))
    assert not gpu_run.csv.exists()


def test_skip_mode_refuses_the_point_and_goes_on(gpu_run):
    run = gpu_run(on_bad_reading="skip")
    gpu_run.fake.energy_override[0] = [9_000_000, None]  # the end reading of the 1st repeat is missing
    bad = run.run_point(Point(100, 100, 1))
    good = run.run_point(Point(300, 100, 1))
    assert bad.row is None and "missing or invalid" in bad.error
    assert good.row is not None
    assert [r["input_tokens"] for r in read_csv(gpu_run.csv)] == ["300"]


def test_an_engine_failure_closes_the_window(gpu_run):
    class Broken(FakeEngine):
        def generate(self, point, seed):
            raise RuntimeError("CUDA out of memory")

    run = gpu_run(Broken())
    with pytest.raises(RuntimeError, match="out of memory"):
        run.run_point(Point(100, 100, 1))
    run.meter.begin_window("in100-out100-b1#r0")  # the key was released


@pytest.mark.parametrize("meter", [NullMeter(), SimulatedMeter()])
def test_stand_in_meters_write_no_energy_and_say_why(tmp_path, meter):
    ctx = runner.make_context(meter, "cpu", "x", idle_seconds=1.0, warmup_runs=0)
    arch = resolve(model="llama-3.1-8b", overrides=TINY)
    run = runner.ModelRun(
        ctx, arch, "llama-3.1-8b", TINY, FakeEngine(), meter, tmp_path / "m" / "cpu.csv", repeats=1
    )
    run.run_point(Point(8, 4, 2))
    [row] = read_csv(tmp_path / "m" / "cpu.csv")
    for col in (
        "energy_wh",
        "energy_wh_gross",
        "power_w",
        "energy_wh_net",
        "energy_wh_sampled",
        "idle_w",
        "counter_vs_sampled_pct",
        "energy_j_repeats",
    ):
        assert row[col] == "", col
    assert row["energy_covers"] == "not_measured" and row["not_measured_reason"] == meter.reason
    assert row["gpu"] == "cpu" and float(row["seconds"]) >= 0
    assert len(dataset.build(tmp_path / "m")) == 997  # the dataset never reads them


def test_appending_to_a_file_of_another_schema_is_refused(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(InvalidInput, match="other columns"):
        schema.append_row(path, {"source": "promptwatt"})


def test_too_big_for_the_gpu_gives_the_numbers():
    arch = resolve(model="meta-llama/Llama-3.1-70B-Instruct")
    points = [Point(900, 900, 32)]
    with pytest.raises(ModelTooBig) as exc:
        runner.check_fits(arch, points, "bf16", 1, 80.0, "1 x NVIDIA H100 80GB HBM3 have")
    msg = str(exc.value)
    assert "needs 1" in msg and "GB weights" in msg and "KV cache for batch 32 x 1800 tokens" in msg
    assert "76.0 GB usable (95% of 80.0 GB)" in msg and exc.value.gpus_needed == 4
    need = runner.check_fits(resolve(model="llama-3.1-8b"), points, "bf16", 1, 80.0, "x")
    assert 16 < need.weights_gb < 16.1 and need.kv_gb == pytest.approx(32 * 1800 * 131072 / 1e9)


# -- the CLI: exit 2 with a clear message ---------------------------------------------------------


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = measure_cli.main(["measure", *args])
    return code, capsys.readouterr().err


def test_cli_no_gpu(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(runner, "_cuda_available", lambda: False)
    code, err = run_cli(capsys, "--model", "llama-3.1-8b", "--out", str(tmp_path / "x.csv"))
    assert code == 2 and "--device cuda, but torch sees no CUDA GPU" in err and "--device cpu" in err


def test_cli_nvml_missing(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(runner, "_cuda_available", lambda: True)

    def no_pynvml():
        raise ImportError("No module named 'pynvml'")

    monkeypatch.setattr(meter_mod, "_pynvml", no_pynvml)
    code, err = run_cli(capsys, "--model", "llama-3.1-8b", "--out", str(tmp_path / "x.csv"))
    assert code == 2 and "nvidia-ml-py (pynvml) is not installed" in err and "promptwatt[measure]" in err


def test_cli_model_too_big(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(runner, "_cuda_available", lambda: True)
    FakeNvml().install(monkeypatch)
    code, err = run_cli(
        capsys,
        "--model",
        "meta-llama/Llama-3.1-70B-Instruct",
        "--engine",
        "transformers",
        "--out",
        str(tmp_path / "x.csv"),
    )
    assert (
        code == 2
        and "GB weights" in err
        and "NVIDIA H100 80GB HBM3" in err
        and "needs at least 4 GPUs" in err
    )
    assert not (tmp_path / "x.csv").exists()


def test_cli_engine_errors(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(engines, "vllm_available", lambda: False)
    code, err = run_cli(
        capsys, "--model", "llama-3.1-8b", "--engine", "vllm", "--out", str(tmp_path / "x.csv")
    )
    assert code == 2 and "vLLM is not installed" in err
    code, err = run_cli(capsys, "--model", "llama-3.1-8b", "--gpus", "2", "--out", str(tmp_path / "x.csv"))
    assert code == 2 and "transformers fallback runs on one GPU" in err
    code, err = run_cli(capsys, "--model", "llama-3.1-8b", "--inputs", "0", "--out", str(tmp_path / "x.csv"))
    assert code == 2 and "--inputs" in err


@pytest.fixture
def no_engine(monkeypatch):
    """Fails the test if the CLI gets as far as making an engine (loading a model costs minutes on a GPU)."""

    def make(*a, **k):
        raise AssertionError("the engine was made before the input was checked")

    monkeypatch.setattr(engines, "make", make)


@pytest.mark.parametrize("setup", ["folder", "other columns"])
def test_cli_a_bad_out_path_is_refused_before_any_model_loads(capsys, tmp_path, no_engine, setup):
    out = tmp_path / "measured"
    if setup == "folder":
        out.mkdir()
    else:
        out.write_text("a,b\n1,2\n")
    code, err = run_cli(
        capsys,
        "--model",
        "llama-3.1-8b",
        *TINY_ARGS,
        "--device",
        "cpu",
        "--inputs",
        "8",
        "--outputs",
        "4",
        "--batches",
        "1",
        "--repeats",
        "1",
        "--out",
        str(out),
    )
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert ("is a folder" if setup == "folder" else "other columns") in err
    assert out.is_dir() if setup == "folder" else out.read_text() == "a,b\n1,2\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gpus", "0"], "--gpus must be at least 1, got 0"),
        (["--gpus", "-2"], "--gpus must be at least 1, got -2"),
        (["--idle-seconds", "-1"], "--idle-seconds must be a number >= 0"),
        (["--idle-seconds", "nan"], "--idle-seconds must be a number >= 0"),
    ],
)
def test_cli_gpu_count_and_idle_seconds_are_checked_first(capsys, tmp_path, no_engine, args, message):
    code, err = run_cli(
        capsys, "--model", "llama-3.1-8b", "--device", "cpu", *args, "--out", str(tmp_path / "x.csv")
    )
    assert code == 2 and message in err
    assert not (tmp_path / "x.csv").exists()


def test_engine_choice():
    assert engines.choose("auto", "cpu") == "transformers"
    assert engines.choose("transformers", "cuda") == "transformers"
    with pytest.raises(EngineUnavailable, match="CUDA"):
        engines.choose("vllm", "cpu")


# -- vLLM, faked at its API ---------------------------------------------------------------------


@pytest.fixture
def fake_vllm(monkeypatch):
    mod = types.ModuleType("vllm")
    mod.__version__ = "0.11.2"
    mod.made = {}
    mod.short = False

    class SamplingParams:
        def __init__(self, **kw):
            self.kw = kw

    class LLM:
        def __init__(self, **kw):
            mod.made["llm"] = kw
            mod.made["config"] = (Path(kw["model"]) / "config.json").read_text()

        def generate(self, prompts, params, use_tqdm=True):
            mod.made["prompts"], mod.made["params"] = prompts, params.kw
            n = params.kw["max_tokens"] - (1 if mod.short else 0)
            return [
                types.SimpleNamespace(
                    prompt_token_ids=p["prompt_token_ids"], outputs=[types.SimpleNamespace(token_ids=[0] * n)]
                )
                for p in prompts
            ]

    mod.LLM, mod.SamplingParams = LLM, SamplingParams
    monkeypatch.setitem(sys.modules, "vllm", mod)
    return mod


def test_vllm_engine_uses_dummy_weights_token_ids_and_exact_lengths(fake_vllm):
    arch = resolve(model="llama-3.1-8b", overrides=TINY)
    e = engines.make(
        "vllm", arch, device="cuda", gpus=2, precision=None, seed=3, max_batch=32, max_context=1808
    )
    e.load()
    kw = fake_vllm.made["llm"]
    assert kw["load_format"] == "dummy" and kw["skip_tokenizer_init"] and kw["tensor_parallel_size"] == 2
    assert kw["dtype"] == "bfloat16" and kw["max_num_seqs"] == 32 and kw["max_model_len"] == 1808
    assert kw["enable_prefix_caching"] is False
    assert (
        '"LlamaForCausalLM"' in fake_vllm.made["config"]
        and '"num_hidden_layers": 2' in fake_vllm.made["config"]
    )
    assert (e.name, e.version, e.tp) == ("vllm-0.11", "0.11.2", 2)
    assert e.generate(Point(7, 5, 3), seed=1) == Generated(3, 7, 5)
    prompts = fake_vllm.made["prompts"]
    assert len(prompts) == 3 and all(len(p["prompt_token_ids"]) == 7 for p in prompts)
    assert all(0 <= t < 512 for p in prompts for t in p["prompt_token_ids"])
    assert fake_vllm.made["params"] | {"temperature": 0} == {
        "max_tokens": 5,
        "min_tokens": 5,
        "ignore_eos": True,
        "temperature": 0,
        "detokenize": False,
    }
    fake_vllm.short = True
    with pytest.raises(EngineError, match="ran 7 in / 4 out, expected 7 / 5"):
        e.generate(Point(7, 5, 3), seed=1)
    folder = Path(kw["model"])
    e.close()
    assert not folder.exists()


# -- end to end on the CPU: a tiny from_config model, two grid points ------------------------------


def test_cpu_run_end_to_end_writes_rows_that_are_not_measurements(capsys, tmp_path):
    out = tmp_path / "measured" / "tiny.csv"
    code = measure_cli.main(
        [
            "measure",
            "--model",
            "meta-llama/Llama-3.1-8B-Instruct",
            *TINY_ARGS,
            "--device",
            "cpu",
            "--inputs",
            "8",
            "--outputs",
            "4,6",
            "--batches",
            "2",
            "--repeats",
            "1",
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "wrote 2 row(s)" in printed.out and "NOT measurements" in printed.out
    rows = read_csv(out)
    import transformers

    assert [(r["input_tokens"], r["output_tokens"], r["batch"]) for r in rows] == [
        ("8", "4", "2"),
        ("8", "6", "2"),
    ]
    for r in rows:
        assert r["engine"] == "hf-transformers" and r["engine_version"] == transformers.__version__
        assert r["precision"] == "fp32" and r["device"] == "cpu" and r["energy_wh"] == ""
        assert r["not_measured_reason"].startswith("device cpu") and float(r["seconds"]) > 0
        assert r["model_id"].endswith("num_key_value_heads=2,vocab_size=512]") and r["overrides"]
        assert r["command"].startswith(
            "promptwatt measure --model meta-llama/Llama-3.1-8B-Instruct --override"
        )
    assert len(dataset.build(out.parent)) == 997


def test_transformers_engine_generates_exact_lengths_on_cpu():
    arch = resolve(model="Qwen/Qwen2.5-7B-Instruct", overrides=TINY)
    e = engines.TransformersEngine(arch, "cpu", seed=0)
    e.load()
    assert e.generate(Point(5, 3, 2), seed=1) == Generated(2, 5, 3)
    assert e.precision == "fp32" and e.version
    e.close()
