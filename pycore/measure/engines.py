"""Inference engines that run one grid point: a batch of prompts of exactly the asked lengths.

* vLLM (when importable, CUDA only): the offline ``LLM`` with ``load_format="dummy"`` (random
  weights from a local ``config.json``: no weights are downloaded, ever), no tokenizer, prompts given
  as token-id lists of exact length, ``SamplingParams(max_tokens=n, min_tokens=n, ignore_eos=True)``,
  tensor parallel over the GPUs given. This is what the paper measured with.
* Hugging Face transformers (the fallback, and the CPU path): ``AutoModelForCausalLM.from_config``
  with random weights in bf16 on a GPU (fp32 on the CPU), random prompts of exact length,
  ``min_new_tokens = max_new_tokens``, one batch per point (no continuous batching, no CUDA graphs).

Energy differs between the two, so the engine id and version are columns of every row.
"""

from __future__ import annotations

import gc
import importlib.util
import random
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pycore.energy import catalog as cat
from pycore.measure.errors import EngineError, EngineUnavailable, NoGPU
from pycore.measure.grid import Point
from pycore.measure.models import hf_config_dict

ENGINE_CHOICES = ("auto", "vllm", "transformers")
HF_ENGINE_ID = "hf-transformers"  # the id JouleBench's HF generate rows carry too
_MEASURE_HINT = "install the extra: pip install 'promptwatt[measure]'"


@dataclass(frozen=True)
class Generated:
    """What a run really did, checked token for token."""

    prompts: int
    input_tokens: int
    output_tokens: int


class Engine(Protocol):
    name: str  # engine id as the dataset's ``engine`` column holds it
    version: str
    precision: str
    tp: int

    def load(self) -> None: ...

    def generate(self, point: Point, seed: int) -> Generated: ...

    def close(self) -> None: ...


def vllm_available() -> bool:
    return importlib.util.find_spec("vllm") is not None


def choose(engine: str, device: str) -> str:
    """``auto`` -> vLLM where it is installed and the device is a GPU, else transformers."""
    if engine not in ENGINE_CHOICES:
        raise EngineUnavailable(f"unknown engine {engine!r}", "one of " + ", ".join(ENGINE_CHOICES))
    if engine == "auto":
        return "vllm" if device == "cuda" and vllm_available() else "transformers"
    if engine == "vllm":
        if device != "cuda":
            raise EngineUnavailable("vLLM runs on CUDA GPUs here", "use --engine transformers --device cpu")
        if not vllm_available():
            raise EngineUnavailable("vLLM is not installed", "pip install vllm, or use --engine transformers")
    return engine


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise EngineUnavailable("torch is not installed", _MEASURE_HINT) from exc
    return torch


def _hf_config(arch: cat.Architecture) -> Any:
    try:
        import transformers
        from transformers import AutoConfig
    except ImportError as exc:
        raise EngineUnavailable("transformers is not installed", _MEASURE_HINT) from exc
    config = hf_config_dict(arch)
    try:
        return AutoConfig.for_model(**config)
    except (ValueError, KeyError) as exc:
        raise EngineUnavailable(
            f"transformers {transformers.__version__} cannot build model_type "
            f"{config.get('model_type')!r}: {exc}",
            "pick a model whose type transformers knows",
        ) from exc


def causal_lm_class_name(model_type: str) -> str:
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    try:
        return str(MODEL_FOR_CAUSAL_LM_MAPPING_NAMES[model_type])
    except KeyError:
        raise EngineUnavailable(
            f"no causal-LM class for model_type {model_type!r} in transformers", "pick another model"
        ) from None


def write_config_dir(arch: cat.Architecture, folder: Path) -> Path:
    """A local model folder holding only ``config.json`` (with ``architectures``), for dummy weights."""
    config = _hf_config(arch)
    config.architectures = [causal_lm_class_name(config.model_type)]
    folder.mkdir(parents=True, exist_ok=True)
    config.save_pretrained(str(folder))
    return folder


class TransformersEngine:
    name = HF_ENGINE_ID

    def __init__(
        self,
        arch: cat.Architecture,
        device: str = "cuda",
        gpus: int = 1,
        precision: str | None = None,
        seed: int = 0,
    ) -> None:
        if gpus != 1:
            raise EngineUnavailable(
                f"the transformers fallback runs on one GPU, not {gpus}",
                "use --engine vllm for tensor parallel over several GPUs",
            )
        if device not in ("cuda", "cpu"):
            raise EngineUnavailable(f"unknown device {device!r}", "cuda or cpu")
        self.arch, self.device, self.seed, self.tp = arch, device, seed, 1
        self.precision = precision or ("bf16" if device == "cuda" else "fp32")
        if self.precision not in ("bf16", "fp32"):
            raise EngineUnavailable(f"the transformers fallback runs bf16 or fp32, not {self.precision}")
        self.version = ""
        self.model: Any = None
        self.vocab_size = arch.vocab_size

    def load(self) -> None:
        torch = _import_torch()
        if self.device == "cuda" and not torch.cuda.is_available():
            raise NoGPU(
                "torch sees no CUDA GPU", "run on a GPU machine, or use --device cpu with a tiny model"
            )
        import transformers
        from transformers import AutoModelForCausalLM

        config = _hf_config(self.arch)
        self.vocab_size = int(config.vocab_size)
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float32
        torch.manual_seed(self.seed)
        with torch.device(self.device):  # random weights made where they run: no host copy of 16 GB
            model = AutoModelForCausalLM.from_config(config, dtype=dtype)
        self.model = model.to(self.device).eval()
        self.version = transformers.__version__

    def generate(self, point: Point, seed: int) -> Generated:
        torch = _import_torch()
        b, n_in, n_out = point.batch, point.input_tokens, point.output_tokens
        g = torch.Generator(device=self.device).manual_seed(seed)
        ids = torch.randint(0, self.vocab_size, (b, n_in), generator=g, device=self.device)
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=n_out,
                min_new_tokens=n_out,
                do_sample=False,
                pad_token_id=0,
                use_cache=True,
            )
        if self.device == "cuda":
            torch.cuda.synchronize()
        if tuple(out.shape) != (b, n_in + n_out):
            raise EngineError(
                f"{point.label}: generate returned shape {tuple(out.shape)}, expected {(b, n_in + n_out)}",
                "the row is not written",
            )
        return Generated(b, n_in, n_out)

    def close(self) -> None:
        if self.model is None:
            return
        self.model = None
        gc.collect()
        if self.device == "cuda":
            _import_torch().cuda.empty_cache()


class VllmEngine:
    def __init__(
        self,
        arch: cat.Architecture,
        gpus: int = 1,
        precision: str = "bf16",
        seed: int = 0,
        max_num_seqs: int = 256,
        max_model_len: int | None = None,
    ) -> None:
        if precision != "bf16":
            raise EngineUnavailable(f"dummy-weight runs here are bf16, not {precision}")
        self.arch, self.tp, self.precision, self.seed = arch, gpus, precision, seed
        self.max_num_seqs, self.max_model_len = max_num_seqs, max_model_len
        self.name, self.version = "vllm", ""
        self.llm: Any = None
        self._dir: Path | None = None

    def load(self) -> None:
        import vllm
        from vllm import LLM

        self._dir = write_config_dir(self.arch, Path(tempfile.mkdtemp(prefix="promptwatt-vllm-")))
        self.version = str(vllm.__version__)
        self.name = "vllm-" + ".".join(self.version.split(".")[:2])
        self.llm = LLM(
            model=str(self._dir),
            load_format="dummy",
            skip_tokenizer_init=True,
            dtype="bfloat16",
            tensor_parallel_size=self.tp,
            seed=self.seed,
            max_num_seqs=self.max_num_seqs,
            max_model_len=self.max_model_len,
            enable_prefix_caching=False,
        )

    def generate(self, point: Point, seed: int) -> Generated:
        from vllm import SamplingParams

        b, n_in, n_out = point.batch, point.input_tokens, point.output_tokens
        rng = random.Random(seed)
        vocab = self.arch.vocab_size
        prompts = [{"prompt_token_ids": [rng.randrange(vocab) for _ in range(n_in)]} for _ in range(b)]
        params = SamplingParams(
            max_tokens=n_out, min_tokens=n_out, ignore_eos=True, temperature=0.0, detokenize=False
        )
        outputs = self.llm.generate(prompts, params, use_tqdm=False)
        if len(outputs) != b:
            raise EngineError(f"{point.label}: vLLM returned {len(outputs)} outputs for {b} prompts")
        for o in outputs:
            got_in, got_out = len(o.prompt_token_ids), len(o.outputs[0].token_ids)
            if (got_in, got_out) != (n_in, n_out):
                raise EngineError(
                    f"{point.label}: vLLM ran {got_in} in / {got_out} out, expected {n_in} / {n_out}",
                    "the row is not written",
                )
        return Generated(b, n_in, n_out)

    def close(self) -> None:
        self.llm = None
        gc.collect()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


def make(
    kind: str,
    arch: cat.Architecture,
    *,
    device: str,
    gpus: int,
    precision: str | None,
    seed: int,
    max_batch: int,
    max_context: int,
) -> Engine:
    if kind == "vllm":
        return VllmEngine(
            arch, gpus, precision or "bf16", seed, max_num_seqs=max(max_batch, 1), max_model_len=max_context
        )
    return TransformersEngine(arch, device, gpus, precision, seed)


def describe_runtime() -> dict[str, str]:
    """torch and CUDA versions, for provenance ("" where absent)."""
    if importlib.util.find_spec("torch") is None:
        return {"torch_version": "", "cuda_version": ""}
    import torch

    return {"torch_version": str(torch.__version__), "cuda_version": str(torch.version.cuda or "")}
