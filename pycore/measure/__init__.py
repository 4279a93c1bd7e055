"""Measurement harness: the seed paper's fixed-shape grid, measured with NVML's energy counter.

CPython only, and never imported by the inference path (``pycore`` minus ``pycore.training`` and
``pycore.measure`` runs in Pyodide). Its dependencies (torch, transformers, nvidia-ml-py; vLLM when
installed) are the optional extra ``measure`` and are imported lazily, inside the functions that
need them, so that ``import pycore.measure`` and ``--help`` work on a light install.

One job per module:

* ``meter``: NVML total-energy counter before/after each window, 10 Hz power sampling beside it,
  idle power, and the one table that turns vendor errors into ours.
* ``engines``: vLLM offline (dummy weights, token-id prompts) or the Hugging Face fallback.
* ``models``: which architecture to build (catalog id, config file, overrides).
* ``grid``: the input x output x batch grid, its repeats and warm-up.
* ``budget``: a per-point time estimate from FLOPs and bytes, calibrated by what was measured.
* ``schema``: the measured CSV (dataset columns + provenance) and how the dataset reads it.
* ``runner``: runs the points and writes one row per point.
* ``multinode``: one meter per node, summed.
* ``report``: ``promptwatt report``, the paper's analyses from the dataset.
* ``cli``: ``promptwatt measure`` and ``promptwatt report``.
"""
