"""The architecture catalog: every record against its published size, and the KV-cache arithmetic."""

from __future__ import annotations

import dataclasses

import pytest

from pycore.energy import catalog as catalog_module
from pycore.energy.catalog import (
    Catalog,
    attention_flops_per_token,
    kv_cache_bytes,
    kv_cache_bytes_per_token,
    load_catalog,
    parameter_breakdown,
    with_overrides,
)
from pycore.errors import DataFileError, InvalidInput, UnknownModel

CATALOG = load_catalog()
RECORDS = list(CATALOG)

# The models of the training data and of the seed paper's Table IV must all resolve.
TRAINING_IDS = """
Qwen/Qwen3-8B Qwen/Qwen3-14B Qwen/Qwen3-30B-A3B-Instruct-2507 Qwen/Qwen3-30B-A3B-Thinking-2507
Qwen/Qwen3-235B-A22B-Instruct-2507 Qwen/Qwen3-235B-A22B-Thinking-2507 Qwen/Qwen3-Coder-30B-A3B-Instruct
Qwen/Qwen3-Coder-480B-A35B-Instruct deepseek-ai/DeepSeek-R1-0528 deepseek-ai/DeepSeek-V3.1 google/gemma-3-12b-it
meta-llama/Llama-3.1-405B-Instruct meta-llama/Llama-3.1-70B-Instruct meta-llama/Llama-3.1-8B-Instruct
meta-llama/Llama-3.3-70B-Instruct meta-llama/Llama-4-Maverick-17B-128E-Instruct nvidia/NVIDIA-Nemotron-Nano-12B-v2
nvidia/NVIDIA-Nemotron-Nano-9B-v2 openai/gpt-oss-20b bigcode/starcoder2-3b bigcode/starcoder2-7b
bigcode/starcoder2-15b codellama/CodeLlama-7b-hf codellama/CodeLlama-13b-hf codellama/CodeLlama-34b-hf
codellama/CodeLlama-70b-hf google/codegemma-1.1-2b google/codegemma-7b google/gemma-2-2b-it google/gemma-2-9b-it
google/gemma-2-27b-it meta-llama/Meta-Llama-3.1-405B-Instruct microsoft/Phi-3-mini-4k-instruct
microsoft/Phi-3-small-8k-instruct microsoft/Phi-3-medium-4k-instruct mistralai/Mistral-7B-Instruct-v0.3
mistralai/Mistral-Large-Instruct-2407 mistralai/Mistral-Nemo-Instruct-2407 mistralai/Mixtral-8x7B-Instruct-v0.1
mistralai/Mixtral-8x22B-Instruct-v0.1 Qwen/Qwen2.5-1.5B-Instruct Qwen/Qwen2.5-7B-Instruct Qwen/Qwen2.5-32B-Instruct
meta-llama/Llama-3.2-1B-Instruct meta-llama/Llama-3.2-3B-Instruct mistralai/Mistral-Small-Instruct-2409
facebook/chameleon-7b facebook/chameleon-30b llava-hf/llava-1.5-7b-hf llava-hf/llava-1.5-13b-hf
llava-hf/llama3-llava-next-8b-hf microsoft/Phi-3-vision-128k-instruct
""".split()
TABLE_IV_IDS = """
deepseek-ai/DeepSeek-V3 meta-llama/Llama-3.1-405B deepseek-ai/DeepSeek-V2 Qwen/Qwen2.5-72B meta-llama/Meta-Llama-3-70B
facebook/opt-66b mistralai/Mixtral-8x7B-v0.1 microsoft/Phi-3.5-MoE-instruct Qwen/QwQ-32B bavest/fin-llama-33b-merged
Qwen/Qwen1.5-32B-Chat facebook/opt-30b mosaicml/mpt-30b google/gemma-2-27b mistralai/Mistral-Small-24B-Base-2501
Vezora/Mistral-22B-v0.2 EleutherAI/gpt-neox-20b FelixChao/Magician-MoE-4x7B deepseek-ai/DeepSeek-V2-Lite
Qwen/Qwen2.5-14B microsoft/phi-4 Qwen/Qwen1.5-MoE-A2.7B Qwen/Qwen1.5-14B-Chat microsoft/Phi-3-medium-4k-instruct
meta-llama/Llama-2-13b-chat-hf PygmalionAI/mythalion-13b cloudyu/Mixtral_7Bx2_MoE_13B facebook/opt-13b
google/gemma-2-9b google/gemma-7b meta-llama/Llama-3.1-8B BSC-LT/salamandra-7b Qwen/Qwen1.5-7B Qwen/Qwen2.5-7B
mistralai/Mistral-7B-v0.3 bertin-project/Gromenauer-7B NousResearch/Yarn-Mistral-7b-128k meta-llama/Llama-2-7b-hf
facebook/opt-6.7b Qwen/Qwen1.5-4B microsoft/Phi-3-mini-128k-instruct meta-llama/Llama-3.2-3B Qwen/Qwen2.5-3B
microsoft/phi-2 facebook/opt-2.7b google/gemma-2-2b google/gemma-2b Qwen/Qwen1.5-1.8B Qwen/Qwen2.5-1.5B
facebook/opt-1.3b meta-llama/Llama-3.2-1B Qwen/Qwen2.5-0.5B Qwen/Qwen1.5-0.5B facebook/opt-350m facebook/opt-125m
""".split()
# Records whose published number cannot be met within 2 %, each with the reason in its notes.
WIDER_TOLERANCE = {"tiiuae/falcon-40b", "deepseek-ai/DeepSeek-V2-Lite"}


def arch(name: str):
    return CATALOG.get(name)


# --- the data files ---------------------------------------------------------------------------


def test_catalog_is_large_and_every_record_is_complete():
    assert len(CATALOG) >= 100
    assert CATALOG.ids() == tuple(a.id for a in RECORDS)
    for a in RECORDS:
        assert a.params_source.strip() and a.config_source.strip()
        assert a.published_params_b and a.published_params_b > 0
        assert not a.is_moe or a.published_active_params_b


@pytest.mark.parametrize("name", TRAINING_IDS + TABLE_IV_IDS)
def test_training_and_paper_models_resolve(name):
    assert CATALOG.get(name).published_params_b


def test_training_ids_are_record_ids_not_only_aliases():
    aliased = {"meta-llama/Meta-Llama-3.1-405B-Instruct"}  # the brief makes it an alias of Llama-3.1-405B
    assert set(TRAINING_IDS) - aliased <= set(CATALOG.ids())


@pytest.mark.parametrize("a", RECORDS, ids=lambda a: a.id)
def test_total_parameters_match_the_published_count(a):
    total = parameter_breakdown(a).total / 1e9
    assert total == pytest.approx(a.published_params_b, rel=a.params_tolerance)


@pytest.mark.parametrize("a", [a for a in RECORDS if a.published_active_params_b], ids=lambda a: a.id)
def test_active_parameters_match_the_published_count(a):
    b = parameter_breakdown(a)
    active = b.active - (b.embedding if a.published_active_excludes_embedding else 0)
    assert active / 1e9 == pytest.approx(a.published_active_params_b, rel=a.params_tolerance)


def test_wider_tolerances_are_rare_and_explained():
    wider = {a.id for a in RECORDS if a.params_tolerance != catalog_module.DEFAULT_PARAMS_TOLERANCE}
    assert wider == WIDER_TOLERANCE
    for name in wider:
        assert arch(name).params_tolerance <= 0.05 and "params_tolerance" in arch(name).notes


@pytest.mark.parametrize("a", RECORDS, ids=lambda a: a.id)
def test_breakdown_parts_add_up(a):
    b = parameter_breakdown(a)
    assert b.embedding + b.attention + b.ffn + b.other_linear == b.total
    assert 0 < b.active <= b.total
    assert (b.active < b.total) == (a.is_moe and a.experts_per_token < a.n_experts)
    assert b.per_layer * a.n_layers <= b.total - b.embedding


def test_exact_counts_of_well_known_checkpoints():
    assert parameter_breakdown(arch("meta-llama/Llama-3.1-8B")).total == 8_030_261_248
    assert parameter_breakdown(arch("meta-llama/Llama-2-7b-hf")).total == 6_738_415_616
    assert parameter_breakdown(arch("EleutherAI/gpt-neox-20b")).total == 20_554_567_680


def test_duplicate_names_are_a_data_error():
    llama = arch("meta-llama/Llama-3.1-8B")
    with pytest.raises(DataFileError):
        Catalog([llama, llama])
    clash = dataclasses.replace(llama, id="other/model", aliases=("META-LLAMA/LLAMA-3.1-8B",))
    with pytest.raises(DataFileError):
        Catalog([llama, clash])


def test_record_validation_rejects_missing_and_unknown_fields():
    good = {
        "id": "x/y",
        "aliases": [],
        "published_params_b": 1.0,
        "published_active_params_b": None,
        "params_source": "card",
        "config_source": "",
        "notes": "",
        "config": dict(arch("meta-llama/Llama-3.2-1B").config),
    }
    assert catalog_module._record(good, "test", "test.json").id == "x/y"
    for broken in (
        {k: v for k, v in good.items() if k != "params_source"},
        {**good, "typo_field": 1},
        {**good, "params_source": " "},
        {**good, "config": {**good["config"], "model_type": "unheard_of"}},
        {**good, "config": {**good["config"], "num_experts": 8, "num_experts_per_tok": 2}},  # MoE, no active
    ):
        with pytest.raises(DataFileError):
            catalog_module._record(broken, "test", "test.json")


def test_config_is_read_only():
    with pytest.raises(TypeError):
        arch("meta-llama/Llama-3.1-8B").config["num_hidden_layers"] = 1  # type: ignore[index]


# --- shape properties ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("meta-llama/Llama-3.1-8B", "GQA"),
        ("google/gemma-7b", "MHA"),
        ("tiiuae/falcon-7b", "MQA"),
        ("deepseek-ai/DeepSeek-V3", "MLA"),
        ("tiiuae/falcon-40b", "GQA"),
        ("mosaicml/mpt-30b", "MHA"),
    ],
)
def test_attention_kinds(name, kind):
    assert arch(name).attention_kind == kind


def test_defaults_fill_fields_the_config_leaves_out():
    mistral = arch("mistralai/Mistral-7B-v0.1")
    assert mistral.head_dim == 128  # hidden / heads
    assert arch("facebook/opt-125m").n_kv_heads == 12  # heads
    assert arch("google/gemma-7b").tied_embeddings and not mistral.tied_embeddings
    assert arch("facebook/opt-125m").activation == "relu" and not arch("facebook/opt-125m").gated_mlp
    assert arch("google/gemma-2-9b").activation == "gelu_pytorch_tanh" and arch("google/gemma-2-9b").gated_mlp
    assert arch("mosaicml/mpt-30b").intermediate_size == 4 * 7168
    assert arch("mosaicml/mpt-30b").max_context == 8192


def test_moe_properties():
    v3 = arch("deepseek-ai/DeepSeek-V3")
    assert (v3.n_experts, v3.experts_per_token, v3.n_shared_experts) == (256, 8, 1)
    assert (v3.n_moe_layers, v3.intermediate_size, v3.expert_intermediate_size) == (58, 18432, 2048)
    maverick = arch("meta-llama/Llama-4-Maverick-17B-128E-Instruct")
    assert (maverick.n_moe_layers, maverick.intermediate_size, maverick.n_shared_experts) == (24, 16384, 1)
    qwen = arch("Qwen/Qwen1.5-MoE-A2.7B")
    assert qwen.n_shared_experts == 1 and qwen.shared_expert_intermediate_size == 5632
    dense = arch("meta-llama/Llama-3.1-8B")
    assert not dense.is_moe and dense.n_experts == dense.experts_per_token == dense.n_moe_layers == 0


def test_sliding_window_layouts():
    gemma2 = arch("google/gemma-2-9b")
    assert (gemma2.sliding_window, gemma2.n_sliding_layers) == (4096, 21)
    assert gemma2.layers[0].window == 4096 and gemma2.layers[1].window is None
    gemma3 = arch("google/gemma-3-12b-it")
    assert (gemma3.sliding_window, gemma3.n_sliding_layers) == (1024, 40)  # 5 local : 1 global
    oss = arch("openai/gpt-oss-20b")
    assert (oss.sliding_window, oss.n_sliding_layers) == (128, 12)
    assert arch("mistralai/Mistral-7B-v0.1").n_sliding_layers == 32
    assert arch("Qwen/Qwen2.5-7B").sliding_window is None  # use_sliding_window: false
    assert arch("microsoft/Phi-3-mini-128k-instruct").sliding_window is None  # window >= context


def test_hybrid_mamba_layout():
    nano = arch("nvidia/NVIDIA-Nemotron-Nano-12B-v2")
    assert nano.is_hybrid_mamba and nano.n_layers == 62
    assert nano.n_attention_layers == 6
    assert sum(layer.mixer == "mamba" for layer in nano.layers) == 28
    assert not arch("meta-llama/Llama-3.1-8B").is_hybrid_mamba


# --- KV cache -----------------------------------------------------------------------------------


def test_kv_cache_of_llama_3_1_8b_is_exact():
    llama = arch("meta-llama/Llama-3.1-8B-Instruct")
    assert kv_cache_bytes(llama, 1000) == 1000 * 32 * 2 * 8 * 128 * 2
    assert kv_cache_bytes_per_token(llama) == 32 * 2 * 8 * 128 * 2
    assert kv_cache_bytes(llama, 1000, bytes_per_element=1) == 1000 * 32 * 2 * 8 * 128
    assert kv_cache_bytes(llama, 0) == 0


def test_sliding_window_caps_the_cache():
    mistral = arch("mistralai/Mistral-7B-v0.1")
    assert kv_cache_bytes(mistral, 30000) == kv_cache_bytes(mistral, 4096) == 4096 * 32 * 2 * 8 * 128 * 2
    assert kv_cache_bytes_per_token(mistral) == 0  # every layer slides
    gemma2 = arch("google/gemma-2-9b")
    per_layer_token = 2 * 8 * 256 * 2
    assert kv_cache_bytes(gemma2, 8000) == (21 * 4096 + 21 * 8000) * per_layer_token
    assert kv_cache_bytes_per_token(gemma2) == 21 * per_layer_token
    gemma3 = arch("google/gemma-3-27b-it")
    growth = kv_cache_bytes(gemma3, 20000) - kv_cache_bytes(gemma3, 10000)
    assert growth == 10000 * kv_cache_bytes_per_token(gemma3) == 10000 * 10 * 2 * 16 * 128 * 2


def test_mla_caches_the_latent():
    v3 = arch("deepseek-ai/DeepSeek-V3")
    assert kv_cache_bytes_per_token(v3, bytes_per_element=1) == (512 + 64) * 61
    assert kv_cache_bytes(v3, 1000) == 1000 * (512 + 64) * 61 * 2
    v32 = arch("deepseek-ai/DeepSeek-V3.2-Exp")
    assert kv_cache_bytes_per_token(v32, bytes_per_element=1) == (512 + 64 + 128) * 61  # + indexer key


def test_mamba_state_is_constant():
    nano = arch("nvidia/NVIDIA-Nemotron-Nano-12B-v2")
    conv = (128 * 80 + 2 * 8 * 128) * (4 - 1)
    ssm = 128 * 80 * 128
    assert kv_cache_bytes(nano, 0) == 28 * (conv + ssm) * 2
    attention_token = 6 * 2 * 8 * 128 * 2
    assert kv_cache_bytes(nano, 5000) - kv_cache_bytes(nano, 1000) == 4000 * attention_token
    assert kv_cache_bytes_per_token(nano) == attention_token


@pytest.mark.parametrize("bad", [-1, 1.5, True, "10"])
def test_kv_cache_rejects_bad_lengths(bad):
    with pytest.raises(InvalidInput):
        kv_cache_bytes(arch("meta-llama/Llama-3.1-8B"), bad)


def test_kv_cache_rejects_bad_element_size():
    with pytest.raises(InvalidInput):
        kv_cache_bytes(arch("meta-llama/Llama-3.1-8B"), 10, bytes_per_element=0)


# --- attention FLOPs ----------------------------------------------------------------------------


def test_attention_flops():
    llama = arch("meta-llama/Llama-3.1-8B")
    assert attention_flops_per_token(llama, 1000) == 32 * 4 * 32 * 128 * 1000
    mistral = arch("mistralai/Mistral-7B-v0.1")
    assert attention_flops_per_token(mistral, 50000) == attention_flops_per_token(mistral, 4096)
    v3 = arch("deepseek-ai/DeepSeek-V3")
    assert attention_flops_per_token(v3, 1000) == 61 * 2 * 128 * (192 + 128) * 1000
    v32 = arch("deepseek-ai/DeepSeek-V3.2-Exp")  # top-2048 sparse attention plus the dense indexer
    assert attention_flops_per_token(v32, 10000) == 61 * (2 * 128 * 320 * 2048 + 2 * 64 * 128 * 10000)
    nano = arch("nvidia/NVIDIA-Nemotron-Nano-12B-v2")
    assert attention_flops_per_token(nano, 1000) == 6 * 4 * 40 * 128 * 1000
    assert attention_flops_per_token(llama, 0) == 0


# --- lookups ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "meta-llama/Llama-3.1-8B-Instruct",
        "meta-llama/Meta-Llama-3.1-8B-Instruct",
        "META-LLAMA/llama-3.1-8b-instruct",
        "Llama-3.1-8B-Instruct",
        "llama-3.1-8b",
        "  Meta-Llama-3.1-8B  ",
    ],
)
def test_lookup_by_alias_case_and_without_org(name):
    assert CATALOG.get(name).id == "meta-llama/Llama-3.1-8B-Instruct"


def test_unknown_model_lists_the_nearest_names():
    with pytest.raises(UnknownModel) as info:
        CATALOG.get("meta-llama/Llama-3.1-9B-Instruct")
    assert len(info.value.nearest) == 5
    assert info.value.nearest[0] == "meta-llama/Llama-3.1-8B-Instruct"
    assert "meta-llama/Llama-3.1-8B-Instruct" in str(info.value)
    assert CATALOG.nearest("gemma 2 9b", n=3)[0] == "google/gemma-2-9b-it"


def test_short_name_must_be_unique():
    llama = arch("meta-llama/Llama-3.1-8B")
    both = Catalog(
        [
            dataclasses.replace(llama, id="a/model", aliases=()),
            dataclasses.replace(llama, id="b/model", aliases=()),
        ]
    )
    assert both.get("a/model").id == "a/model"
    with pytest.raises(UnknownModel):
        both.get("model")


def test_blank_name_is_invalid():
    with pytest.raises(InvalidInput):
        CATALOG.get("  ")


def test_load_catalog_is_cached():
    assert load_catalog() is CATALOG


# --- variants -----------------------------------------------------------------------------------


def test_with_overrides_changes_layers_and_totals():
    base = arch("meta-llama/Llama-3.1-8B")
    deeper = with_overrides(base, num_hidden_layers=40)
    assert deeper.n_layers == 40 and base.n_layers == 32
    assert deeper.id == "meta-llama/Llama-3.1-8B-Instruct[num_hidden_layers=40]"
    assert deeper.published_params_b is None and deeper.aliases == ()
    b, d = parameter_breakdown(base), parameter_breakdown(deeper)
    assert d.total - b.total == 8 * b.per_layer
    assert d.per_layer == b.per_layer
    assert kv_cache_bytes(deeper, 1000) == kv_cache_bytes(base, 1000) * 40 / 32
    assert with_overrides(base) is base


def test_with_overrides_keeps_layer_patterns():
    oss = with_overrides(arch("openai/gpt-oss-20b"), num_hidden_layers=30)
    assert oss.n_sliding_layers == 15
    moe = with_overrides(arch("deepseek-ai/DeepSeek-V3"), num_hidden_layers=10)
    assert moe.n_moe_layers == 7
    mixtral = arch("mistralai/Mixtral-8x7B-v0.1")
    wider = with_overrides(mixtral, num_local_experts=16)  # same top-2 compute, 8 more router rows
    assert parameter_breakdown(wider).active == parameter_breakdown(mixtral).active + 32 * 4096 * 8


def test_with_overrides_rejects_impossible_variants():
    with pytest.raises(InvalidInput):  # the hybrid pattern still has 62 blocks
        with_overrides(arch("nvidia/NVIDIA-Nemotron-Nano-12B-v2"), num_hidden_layers=40)
    with pytest.raises(InvalidInput):
        with_overrides(arch("meta-llama/Llama-3.1-8B"), num_hidden_layers=0)
