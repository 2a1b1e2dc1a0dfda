"""Shared-prompt packing for DPO's forward passes: each pair's prompt runs through the model once.

TRL's DPO batch holds every pair twice, ``prompt + chosen`` and ``prompt + rejected``, each row padded
to the batch's longest. On the loop's pairs that is 236 tokens per pair, of which 139 are distinct:
the prompt (57 tokens on average) is scored twice and the rest is padding. :func:`pack_pairs` lays
each pair out as ``shared prompt | last prompt token + chosen | last prompt token + rejected`` in one
row, with a 4D attention mask that keeps each reply from seeing the other and position ids that start
both replies where the prompt ends. The last prompt token is repeated at the head of the rejected
branch because it is the position that predicts the first reply token, and one position can predict
only one label. :func:`unpack` puts the per-token outputs back where TRL's loss expects them, so the
loss code (sigmoid, IPO, the SFT term, metrics) runs unchanged.
"""

from __future__ import annotations

import functools
import logging
import types
from dataclasses import dataclass
from typing import Any

IGNORE = -100
# Tokens per packed row (the batch takes as many rows as its total needs). Attention over a row costs
# its length squared though the mask hides other pairs; at 1024 that is about a tenth of a 135M
# model's forward, and a CPU batch of 4 pairs (about 560 tokens) fits one row, with no padding.
ROW_TOKENS = 1024
# Keyword arguments the packed forward understands; any other that is set (images, token types,
# router logits, pre-shifted labels) falls back to TRL's own forward. PEFT passes its own
# (inputs_embeds=None, output_attentions=False, ...), which count as unset.
_PACKABLE = {"input_ids", "attention_mask", "labels", "use_cache", "fused_lm_head", "num_items_in_batch", "return_dict"}
_SHARED, _CHOSEN, _REJECTED, _PAD = 0, 1, 2, 3
# Mean |difference| of scored log-probs, packed against padded, above which the first batch's check
# turns packing off: fp32 agrees to ~1e-6 (tests), half precision rounds more loosely; a layout the
# model misreads is off by nats.
_AGREE_FP32 = 1e-3
_AGREE_HALF = 5e-2
log = logging.getLogger("alignloop.train")


@dataclass
class PackedBatch:
    """Model inputs for the packed rows and the map from packed positions back to TRL's layout."""

    input_ids: Any
    """``(rows, T)`` token ids."""
    position_ids: Any
    """``(rows, T)``: both replies of a pair continue from the end of its prompt."""
    attention_mask: Any
    """``(rows, 1, T, T)`` bool, True where a query may attend a key."""
    shift_labels: Any
    """``(rows, T)``: the token each position predicts, ``-100`` where nothing is scored."""
    src: Any
    """Flat indices into ``(rows, T)`` of the scored positions."""
    dst: tuple[Any, Any]
    """Row and column of each scored position in TRL's ``(2 * pairs, L - 1)`` layout."""
    shape: tuple[int, int]
    """TRL's ``(2 * pairs, L - 1)``."""


def _spans(attention_mask: Any, labels: Any) -> list[tuple[int, int]] | None:
    """``(prompt_len, length)`` per row, or None when a row is not ``prompt | reply | padding``."""
    spans = []
    for att, lab in zip(attention_mask.tolist(), labels.tolist(), strict=True):
        n = sum(att)
        scored = [i for i, x in enumerate(lab) if x != IGNORE]
        p = scored[0] if scored else n
        if att[:n] != [1] * n or scored != list(range(p, n)) or p < 1:
            return None
        spans.append((p, n))
    return spans


def _rows(sizes: list[int], row_tokens: int) -> tuple[list[int], list[int], list[int]]:
    """Row and offset of each pair, and each row's length, for as few rows as ``row_tokens`` allows.

    The longest pairs go first, each to the shortest row so far, so rows come out of similar length
    and the padding to the longest row stays small.
    """
    import math

    n_rows = min(len(sizes), max(1, math.ceil(sum(sizes) / row_tokens)))
    lengths = [0] * n_rows
    row_of = [0] * len(sizes)
    offset_of = [0] * len(sizes)
    for k in sorted(range(len(sizes)), key=lambda k: -sizes[k]):
        r = min(range(n_rows), key=lengths.__getitem__)
        row_of[k], offset_of[k] = r, lengths[r]
        lengths[r] += sizes[k]
    return row_of, offset_of, lengths


def pack_pairs(input_ids: Any, attention_mask: Any, labels: Any, row_tokens: int = ROW_TOKENS) -> PackedBatch | None:
    """Pack TRL's ``[chosen..., rejected...]`` rows so each prompt is encoded once.

    ``labels`` are TRL's: the input ids with ``-100`` outside the replies. Rows hold about
    ``row_tokens`` tokens each (a longer pair gets a row of its own). Returns None (the caller
    then runs the batch as it is) when rows are not flushed left, a pair's prompts differ, or the
    batch does not have an even number of rows.
    """
    import torch

    rows2, width = input_ids.shape
    if rows2 % 2 or attention_mask is None or attention_mask.dim() != 2:
        return None
    spans = _spans(attention_mask, labels)
    if spans is None:
        return None
    pairs = rows2 // 2
    ids = input_ids.tolist()
    segments: list[dict[str, list[int]]] = []
    src_pos: list[tuple[int, int]] = []  # (segment index, offset in segment) of each scored position
    dst_rows: list[int] = []
    dst_cols: list[int] = []
    for i in range(pairs):
        (p, nc), (pr, nr) = spans[i], spans[pairs + i]
        if p != pr or ids[i][:p] != ids[pairs + i][:p]:
            return None
        seg: dict[str, list[int]] = {"ids": ids[i][: p - 1], "pos": list(range(p - 1)), "branch": [_SHARED] * (p - 1)}
        seg["labels"] = [IGNORE] * (p - 1)
        for row, n, branch in ((i, nc, _CHOSEN), (pairs + i, nr, _REJECTED)):
            start = len(seg["ids"])
            seg["ids"] += ids[row][p - 1 : n]
            seg["pos"] += list(range(p - 1, n))
            seg["branch"] += [branch] * (n - p + 1)
            seg["labels"] += [*ids[row][p:n], IGNORE]
            for t in range(p - 1, n - 1):  # TRL's position t holds log P(token t + 1)
                src_pos.append((i, start + t - (p - 1)))
                dst_rows.append(row)
                dst_cols.append(t)
        segments.append(seg)

    row_of, offset_of, lengths = _rows([len(seg["ids"]) for seg in segments], row_tokens)
    n_rows, t_max = len(lengths), max(lengths)
    pad_id = ids[0][0]
    tok = [[pad_id] * t_max for _ in range(n_rows)]
    pos = [[0] * t_max for _ in range(n_rows)]
    lab = [[IGNORE] * t_max for _ in range(n_rows)]
    pair = [[-1] * t_max for _ in range(n_rows)]
    branch_ids = [[_PAD] * t_max for _ in range(n_rows)]
    for k, seg in enumerate(segments):
        r, o = row_of[k], offset_of[k]
        n = len(seg["ids"])
        tok[r][o : o + n] = seg["ids"]
        pos[r][o : o + n] = seg["pos"]
        lab[r][o : o + n] = seg["labels"]
        pair[r][o : o + n] = [k] * n
        branch_ids[r][o : o + n] = seg["branch"]

    device = input_ids.device
    pair_t = torch.tensor(pair, device=device)
    branch_t = torch.tensor(branch_ids, device=device)
    same_pair = pair_t[:, :, None] == pair_t[:, None, :]
    causal = torch.ones(t_max, t_max, dtype=torch.bool, device=device).tril()
    # a key is visible if it is the shared prompt or on the query's own branch; padding sees padding,
    # so no query row is fully masked (sdpa would return NaN for it)
    visible = (branch_t[:, None, :] == _SHARED) | (branch_t[:, :, None] == branch_t[:, None, :])
    mask = (same_pair & causal & visible)[:, None]
    src = [row_of[k] * t_max + offset_of[k] + off for k, off in src_pos]
    return PackedBatch(
        input_ids=torch.tensor(tok, device=device, dtype=input_ids.dtype),
        position_ids=torch.tensor(pos, device=device),
        attention_mask=mask,
        shift_labels=torch.tensor(lab, device=device, dtype=labels.dtype),
        src=torch.tensor(src, device=device),
        dst=(torch.tensor(dst_rows, device=device), torch.tensor(dst_cols, device=device)),
        shape=(rows2, width - 1),
    )


def unpack(packed: PackedBatch, values: Any) -> Any:
    """A per-token output of the packed rows, ``(rows, T)``, in TRL's ``(2 * pairs, L - 1)`` layout.

    Positions TRL does not score are zero, as TRL's fused head leaves them.
    """
    if values is None:
        return None
    flat = values.reshape(-1)[packed.src]
    out = flat.new_zeros(packed.shape)
    # index_put (not in place on a leaf) keeps the gradient flowing back to the packed rows
    return out.index_put(packed.dst, flat)


_FIELDS = ("log_probs", "entropy", "log_sum_sq_probs", "mean_logits", "is_top1")


def _mask_for(attn: str, mask: Any, dtype: Any) -> Any:
    """The bool mask as ``attn`` takes it: sdpa reads bool, eager adds it to the scores."""
    import torch

    if attn == "sdpa":
        return mask
    return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(~mask, torch.finfo(dtype).min)


def add_packing(model: Any, row_tokens: int = ROW_TOKENS) -> bool:
    """Make ``model(..., labels=..., fused_lm_head=True)`` (TRL's fused head, already added) run packed.

    Every other call, and any batch :func:`pack_pairs` declines, goes to the forward as it was.
    Returns False, changing nothing, for attention kernels that take no 4D mask (FlashAttention,
    flex attention). The first and last pairs of the first packed batch are also run padded, without
    gradients: if the two disagree (an architecture that ignores position ids or reads the mask its own way), packing
    turns itself off with a warning. A second call is a no-op.
    """
    if getattr(model, "_alignloop_packed", False):
        return True
    attn = getattr(model.config, "_attn_implementation", None) or "eager"
    if attn not in ("sdpa", "eager"):
        return False
    inner = model.forward
    state = {"checked": False, "on": True}

    def run_packed(self: Any, packed: PackedBatch, kwargs: dict[str, Any]) -> Any:
        out = inner(
            input_ids=packed.input_ids,
            attention_mask=_mask_for(attn, packed.attention_mask, self.dtype),
            position_ids=packed.position_ids,
            shift_labels=packed.shift_labels,
            fused_lm_head=True,
            num_items_in_batch=kwargs.get("num_items_in_batch"),
        )
        for name in _FIELDS:
            if hasattr(out, name):
                setattr(out, name, unpack(packed, getattr(out, name)))
        if getattr(out, "label_mask", None) is not None:
            out.label_mask = kwargs["labels"][:, 1:] != IGNORE
        return out

    def checked(self: Any, packed: PackedBatch, kwargs: dict[str, Any]) -> Any:
        """The packed output, or None when it disagrees with the padded forward (run without gradients).

        The padded forward runs on the first and the last pair only: a layout the model misreads (a mask
        it ignores, position ids it drops) shows in any pair's rejected branch, and checking every pair
        cost a third of a training step (about 3 s of the 29-pair benchmark's 43 on 2 cores).
        """
        import torch

        out = run_packed(self, packed, kwargs)
        rows2 = kwargs["input_ids"].shape[0]
        pick = torch.tensor(sorted({0, rows2 // 2 - 1, rows2 // 2, rows2 - 1}), device=kwargs["input_ids"].device)
        sub = {
            k: v.index_select(0, pick) if isinstance(v, torch.Tensor) and v.dim() and v.shape[0] == rows2 else v
            for k, v in kwargs.items()
        }
        with torch.no_grad():
            want = inner(**sub).log_probs
        got = out.log_probs.detach().index_select(0, pick)
        scored = sub["labels"][:, 1:] != IGNORE
        diff = (got - want).abs()[scored].float().mean().item() if scored.any() else 0.0
        if not diff <= (_AGREE_FP32 if want.dtype == torch.float32 else _AGREE_HALF):  # also catches NaN
            log.warning(
                "shared-prompt packing disagrees with the padded forward for %s (mean |diff| %.3g); "
                "training without it",
                type(self).__name__,
                diff,
            )
            return None
        return out

    @functools.wraps(inner)
    def forward(self: Any, *args: Any, **kwargs: Any) -> Any:
        if (
            not state["on"]
            or args
            or not kwargs.get("fused_lm_head")
            or any(v is not None and v is not False and k not in _PACKABLE for k, v in kwargs.items())
            or kwargs.get("labels") is None
        ):
            return inner(*args, **kwargs)
        packed = pack_pairs(kwargs["input_ids"], kwargs.get("attention_mask"), kwargs["labels"], row_tokens)
        if packed is None:
            return inner(*args, **kwargs)
        if not state["checked"]:
            state["checked"] = True
            out = checked(self, packed, kwargs)
            state["on"] = out is not None
            return out if out is not None else inner(*args, **kwargs)
        return run_packed(self, packed, kwargs)

    model.forward = types.MethodType(forward, model)
    model._alignloop_packed = True
    return True
