"""The stable ``eval generate`` contract: ``{"id","prompt"}`` in, ``{"id","prompt","response"}`` out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alignloop._util.errors import UserError

if TYPE_CHECKING:
    from alignloop.models import ChatModel


def generate_file(
    model: ChatModel,
    prompts_path: str | Path,
    out_path: str | Path,
    max_new_tokens: int = 256,
    chunk_size: int | None = None,
    advance: Callable[[int], Any] | None = None,
) -> dict[str, int]:
    """Answer every prompt greedily, appending rows chunk by chunk (a rerun resumes).

    Returns:
        Counts: ``total``, ``skipped`` (already done), ``written``, ``failed``.

    Raises:
        UserError: a bad prompt file, or rows the model failed on after a retry (they are not
            written, so a rerun retries them).
    """
    from alignloop.data import JsonlAppender
    from alignloop.evals._context import generate_rows
    from alignloop.evals._items import file_items
    from alignloop.models import GenerationConfig

    items = file_items(prompts_path)
    cfg = GenerationConfig(max_new_tokens=max_new_tokens)
    failed: list[str] = []
    with JsonlAppender(out_path) as app:
        todo = [it for it in items if it.id not in app.done]
        if advance:
            advance(len(items) - len(todo))
        size = chunk_size or model.batch_size
        for start in range(0, len(todo), size):
            chunk = todo[start : start + size]
            # a failed batch is retried one by one so a flaky endpoint loses nothing
            gens = generate_rows(model, [it.conversation() for it in chunk], cfg, retries=0)
            for it, (r, _) in zip(chunk, gens, strict=True):
                if r is None:
                    failed.append(it.id)
                else:
                    app.append({"id": it.id, "prompt": it.prompt, "response": r})
            if advance:
                advance(len(chunk))
    stats = {
        "total": len(items),
        "skipped": len(items) - len(todo),
        "written": len(todo) - len(failed),
        "failed": len(failed),
    }
    if failed:
        raise UserError(
            f"the model failed on {len(failed)} prompt(s): {', '.join(failed[:10])}",
            hint=f"rerun the same command to retry them; {stats['written']} rows were written to {out_path}",
        )
    return stats
