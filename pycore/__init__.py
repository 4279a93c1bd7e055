"""PromptWatt core: predicts the GPU energy of LLM inference from measured data.

Everything importable from ``pycore`` except ``pycore.training`` runs on the Python standard
library alone, because the same code runs in Pyodide inside the browser extension.
"""

from __future__ import annotations

__version__ = "0.1.0"
