"""The one split rule: every row is ``train``, ``dev`` or the frozen ``test`` split.

Rows that carry a ``split`` keep it. Rows without one get a stable split from a hash of their id:
4 in 5 to ``train``, and the fifth divided evenly between ``dev`` and ``test``. The train share is
the same as before the test split existed, so models trained earlier saw no dev or test row.

``dev`` is where every threshold, weight and constant is chosen; ``test`` is only ever reported.
"""

from __future__ import annotations

import hashlib
from typing import Literal, cast

Split = Literal["train", "dev", "test"]
SPLITS: tuple[Split, ...] = ("train", "dev", "test")


def split_of(row_id: str, split: str | None = None) -> Split:
    """The row's split: its own ``split`` when set, else the hash rule on ``row_id``."""
    if split in SPLITS:
        return cast(Split, split)
    h = int(hashlib.sha256(row_id.encode()).hexdigest()[:8], 16)
    if h % 5:
        return "train"
    return "test" if (h // 5) % 2 else "dev"
