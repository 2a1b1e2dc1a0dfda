"""User-facing errors: one clear message, exit code 2, no traceback."""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix (bad file, wrong path, unreachable endpoint).

    The CLI prints ``message`` (and ``hint`` when given) and exits with code 2.
    """

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  fix: {self.hint}"


class DataError(UserError):
    """A broken data row or file; the message names ``file:line`` and the field."""


class ConstitutionError(UserError):
    """An invalid constitution; the message lists every problem with key path and line."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        body = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid constitution {path}:\n{body}")


class ModelError(UserError):
    """A model that cannot be found, loaded or reached."""


def disk_full(exc: BaseException) -> str | None:
    """The path (or "") a 'no space left on device' error was about, else None.

    Libraries wrap the OSError differently (safetensors raises its own error with the text only),
    so the cause chain and the message are both checked.
    """
    import errno

    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            return str(e.filename or "")
        if "No space left on device" in str(e):
            return ""
        e = e.__cause__ or e.__context__
    return None


def is_oom(exc: BaseException) -> bool:
    """True for host or accelerator out-of-memory (``torch.OutOfMemoryError`` or a RuntimeError saying so)."""
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc)


def free_accelerator_memory() -> None:
    """Return cached blocks to the device after an out-of-memory error, so a smaller retry can fit."""
    import gc
    import sys

    gc.collect()
    torch = sys.modules.get("torch")  # only when torch is already in use; never import it here
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()
