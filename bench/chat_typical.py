"""Table of a typical short chat exchange on each platform's default model, next to published figures.

Run ``python bench/chat_typical.py`` from the repository root; it prints the Markdown table used in
``docs/chat_estimates.md`` (regenerate it there whenever the artefact or the data files change).
The exchange is 100 input tokens and 300 output tokens, no reasoning, no system prompt or chat
template overhead (so that it compares with per-query figures), on the label the platform shows
by default, with the shipped predictor (``assets/energy_model.json``).

EcoLogits' figure for the same tokens is computed from its published formula (ecologits 0.11.3,
``ecologits/impacts/llm.py``, MPL-2.0): per output token and GPU,
``E = alpha * exp(beta * B) * P_active + gamma`` Wh (P in billions, B = 64), times the GPUs needed to
hold ``1.2 * P_total * 2`` GB in 80 GB cards (rounded up to a power of two), plus the server's
1.2 kW per 8 GPUs over the generation latency ``out * (a_L * P_active + b_L * B + g_L)`` shared
by the batch, times the provider's PUE (EcoLogits ``tracers/utils.py``: openai 1.20, google_genai
1.09; it has no DeepSeek provider, so our DeepSeek PUE is used). Input tokens do not enter it.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pycore.chat import impact  # noqa: E402
from pycore.chat import platforms as pf  # noqa: E402
from pycore.chat.conversation import estimate_exchange  # noqa: E402
from pycore.energy.predictor import default_predictor  # noqa: E402

INPUT_TOKENS = 100
OUTPUT_TOKENS = 300

# EcoLogits 0.11.3, ecologits/impacts/llm.py (MPL-2.0)
ECO_ALPHA, ECO_BETA, ECO_GAMMA = 1.1665273170451914e-06, -0.011205921025579175, 4.052928146734005e-05
ECO_LAT_ALPHA, ECO_LAT_BETA, ECO_LAT_GAMMA = 0.0006785088094353663, 0.0003119310311688259, 0.019473717579473387
ECO_BATCH, ECO_GPU_MEMORY_GB, ECO_SERVER_GPUS, ECO_SERVER_KW = 64, 80, 8, 1.2
# EcoLogits 0.11.3, ecologits/tracers/utils.py: PROVIDER_CONFIG_MAP datacenter_pue
ECO_PUE = {"openai": 1.20, "google": 1.09}

PUBLISHED = {
    "chatgpt": (
        "0.34 Wh per average query (Sam Altman, 'The Gentle Singularity', blog.samaltman.com, 10 June 2025; "
        "no method given); ~0.3 Wh for a typical GPT-4o query (Epoch AI, J. You, 'How much energy does "
        "ChatGPT use?', 7 Feb 2025; GPU energy at ~500 output tokens, H100 servers)"
    ),
    "gemini": (
        "0.24 Wh and 0.03 g CO2e per median Gemini Apps text prompt (Elsworth et al., 'Measuring the "
        "environmental impact of delivering AI at Google Scale', arXiv:2508.15734, Aug 2025; full serving "
        "stack incl. idle capacity and data-centre overhead, market-based emissions)"
    ),
    "deepseek": "no figure published by DeepSeek",
}


def ecologits_wall_wh(active_b: float, total_b: float, out: int, pue: float) -> float:
    """EcoLogits request energy (kWh converted to Wh) for ``out`` output tokens."""
    gpus_raw = math.ceil(1.2 * total_b * 16 / 8 / ECO_GPU_MEMORY_GB)
    gpus = 2 ** math.ceil(math.log2(gpus_raw))
    gpu_kwh = out * (ECO_ALPHA * math.exp(ECO_BETA * ECO_BATCH) * active_b + ECO_GAMMA) / 1000
    latency_s = out * (ECO_LAT_ALPHA * active_b + ECO_LAT_BETA * ECO_BATCH + ECO_LAT_GAMMA)
    server_kwh = latency_s / 3600 * ECO_SERVER_KW * (gpus / ECO_SERVER_GPUS) / ECO_BATCH
    return pue * (server_kwh + gpus * gpu_kwh) * 1000


def rows() -> list[dict[str, str]]:
    predictor = default_predictor()
    out = []
    for platform in pf.platforms():
        m = pf.resolve(platform, pf.default_label(platform))
        e = estimate_exchange(m, INPUT_TOKENS, OUTPUT_TOKENS, predictor=predictor)
        grid_g = impact.grid_intensity(m.deployment.region)[0]
        pue = ECO_PUE.get(m.provider, m.deployment.pue.central)
        eco = [ecologits_wall_wh(a, m.total_params_b.central, OUTPUT_TOKENS, pue)
               for a in (m.active_params_b.low, m.active_params_b.high)]
        out.append({
            "platform": platform,
            "label": m.label,
            "gpu": _fmt(e.gpu_wh.central, e.gpu_wh.low, e.gpu_wh.high),
            "wall": _fmt(e.wall_wh.central, e.wall_wh.low, e.wall_wh.high),
            "co2": _fmt(e.co2_g.central, e.co2_g.low, e.co2_g.high) + f" ({m.deployment.region} grid)",
            "embodied": _fmt(e.embodied_co2_g.central, e.embodied_co2_g.low, e.embodied_co2_g.high),
            "water": _fmt(e.water_ml.central, e.water_ml.low, e.water_ml.high)
            + f" = {_fmt(e.water_onsite_ml.central, e.water_onsite_ml.low, e.water_onsite_ml.high)} on-site + "
            f"{_fmt(e.water_offsite_ml.central, e.water_offsite_ml.low, e.water_offsite_ml.high)} off-site",
            "eco": f"{eco[0]:.2g}-{eco[1]:.2g} Wh, {eco[0] * grid_g / 1000:.2g}-{eco[1] * grid_g / 1000:.2g} g",
            "published": PUBLISHED[platform],
            "version": predictor.version,
        })
    return out


def _fmt(central: float, low: float, high: float) -> str:
    return f"{central:.2g} ({low:.2g}-{high:.2g})"


def main() -> None:
    table = rows()
    print(f"Typical exchange: {INPUT_TOKENS} input tokens, {OUTPUT_TOKENS} output tokens, no reasoning, no system "
          f"prompt; model artefact {table[0]['version']}.\n")
    print("| platform (default label) | GPU Wh | wall Wh | g CO2e of use | g CO2e embodied | water mL "
          "| EcoLogits formula, same tokens (wall Wh, g CO2e) | published figure |")
    print("|---|---|---|---|---|---|---|---|")
    for r in table:
        print(f"| {r['platform']} ({r['label']}) | {r['gpu']} | {r['wall']} | {r['co2']} | {r['embodied']} "
              f"| {r['water']} | {r['eco']} | {r['published']} |")
    print_disclosures()


def print_disclosures() -> None:
    """The published per-prompt figures next to ours on the same boundary (``promptwatt disclosures``)."""
    from pycore.chat.disclosures import compare_all

    print("\nPublished per-prompt figures, each against PromptWatt's estimate on the same boundary "
          "(`promptwatt disclosures`):\n")
    print("| who, what (date) | quantity | published | PromptWatt, same boundary | boundary | compared with |")
    print("|---|---|---|---|---|---|")
    for c in compare_all():
        d = c.disclosure
        for i, f in enumerate(c.figures):
            head = f"{d['who']}: {d['what']} ({d['date']})" if i == 0 else ""
            what = c.exchange.split(": ", 1)[0] if i == 0 else ""
            print(f"| {head} | {f['quantity']} | {f['published']:g} {f['unit']} | "
                  f"{_fmt(f['ours'], f['ours_low'], f['ours_high'])} {f['unit']} | {f['boundary']} | {what} |")


if __name__ == "__main__":
    main()
