"""Errors of the measurement harness: each is a ``PromptWattError``, so the CLI exits 2 with its hint."""

from __future__ import annotations

from pycore.errors import DoesNotFit, PromptWattError


class MeasureError(PromptWattError):
    code = "measure"


class NoGPU(MeasureError):
    """No CUDA GPU, or fewer than asked for."""

    code = "no_gpu"


class NvmlMissing(MeasureError):
    """nvidia-ml-py is not installed, or the NVIDIA driver library cannot be loaded."""

    code = "nvml_missing"


class MeterUnsupported(MeasureError):
    """The GPU or driver does not offer the reading (e.g. no total-energy counter before Volta)."""

    code = "meter_unsupported"


class MeterReadingError(MeasureError):
    """A reading was missing, went backwards or did not advance: the point is not written."""

    code = "bad_reading"


class EngineUnavailable(MeasureError):
    """The asked-for engine (or torch) is not installed, or cannot run this model or device."""

    code = "engine_unavailable"


class EngineError(MeasureError):
    """The engine ran but did not do exactly what was asked (e.g. wrong number of tokens)."""

    code = "engine"


class ModelTooBig(DoesNotFit):
    """Weights plus the KV cache of the largest batch do not fit in the memory of the GPUs given."""

    code = "does_not_fit"
