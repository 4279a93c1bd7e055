"""Typed errors of the core, each carrying a hint of the fix (shown by the CLI and the extension)."""

from __future__ import annotations


class PromptWattError(Exception):
    """Base class: every error the core raises on bad input derives from it."""

    code = "error"

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UnknownModel(PromptWattError):
    code = "unknown_model"

    def __init__(self, name: str, nearest: list[str]) -> None:
        hint = "nearest known: " + ", ".join(nearest) if nearest else "see `promptwatt models`"
        super().__init__(f"unknown model {name!r}", hint)
        self.name = name
        self.nearest = nearest


class UnknownGPU(PromptWattError):
    code = "unknown_gpu"

    def __init__(self, name: str, nearest: list[str]) -> None:
        hint = "nearest known: " + ", ".join(nearest) if nearest else "see `promptwatt gpus`"
        super().__init__(f"unknown GPU {name!r}", hint)
        self.name = name
        self.nearest = nearest


class DoesNotFit(PromptWattError):
    code = "does_not_fit"

    def __init__(self, message: str, gpus_needed: int) -> None:
        super().__init__(message, f"needs at least {gpus_needed} GPUs of this kind")
        self.gpus_needed = gpus_needed


class InvalidInput(PromptWattError):
    code = "invalid_input"


class DataFileError(PromptWattError):
    code = "data_file"
