"""Fine-tune MiniLM end to end as the guard's classifier, and export it to int8 ONNX.

One encoder, three outputs on its mean-pooled tokens: ``unsafe`` (any category), ``injection``
and a softmax over the constitution's categories (trained on unsafe rows whose category is known).
Labels a source does not give (``None``) are masked out of that output's loss, so a jailbreak
template teaches injection without claiming anything about harm.

Frozen MiniLM embeddings under logistic heads ranked the public moderation samples at 0.56 AUPRC;
tuning the encoder itself lets the model move words like "kill" apart by what they are done to.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alignloop._util.atomic import atomic_path
from alignloop.guard._sources import Row

FORMAT_VERSION = 1
REBUILD_COMMAND = "alignloop guard train --default"


@dataclass
class FinetuneConfig:
    """Training settings; the defaults build the shipped model in a few minutes on 2 CPU cores."""

    epochs: float = 5.0
    """The longest training; the epoch count actually kept is chosen on dev among :attr:`checkpoints`."""
    checkpoints: tuple[float, ...] = (1.5, 2.0, 2.5, 3.0, 4.0, 5.0)
    """Epochs at which the model is scored on dev; the best dev F1 at the false-alarm cap is kept.
    1.5 was the first build's fixed count (set by the CPU budget); 5 bounds the build at about 7
    minutes on 2 idle cores (the fourth build kept 4)."""
    batch_size: int = 32
    lr: float = 5e-5
    """Encoder learning rate; the output layer learns 20x faster (it starts from zero)."""
    max_len: int = 96
    """Tokens a text is cut to in training and at run time; longer texts are checked in windows of
    360 characters (about 96 English tokens)."""
    category_weight: float = 0.5
    seed: int = 0
    threads: int = 2
    max_fpr: float = 0.05
    """The unsafe threshold is the best dev F1 among those flagging at most this share of safe dev texts."""
    injection_max_fpr: float = 0.01
    """The injection threshold is the lowest one flagging at most this share of non-injection dev texts.

    Set by hand, not tuned: the injection check runs on every request beside the unsafe check's 5%,
    so its false-alarm budget is a fifth of that. (Until 2026-12-06 the rule was the best dev F1
    under a 3% cap; with ~60 injection rows in dev that point moved from 0.19 to 0.96 between builds.)"""
    tiny: bool = False
    """A randomly initialised two-layer encoder instead of MiniLM: for tests (seconds, no weights)."""


class _Net:
    """BERT + mean pooling + one linear layer (built lazily so importing this module needs no torch)."""

    @staticmethod
    def build(n_out: int, tiny: bool = False) -> Any:
        import torch
        from transformers import AutoModel, BertConfig, BertModel

        from alignloop.models import embedder_path

        def encoder() -> Any:
            if tiny:
                cfg = BertConfig(
                    vocab_size=30522,
                    hidden_size=16,
                    num_hidden_layers=1,
                    num_attention_heads=2,
                    intermediate_size=32,
                )
                cfg._attn_implementation = "eager"
                return BertModel(cfg, add_pooling_layer=False)
            return AutoModel.from_pretrained(str(embedder_path()), attn_implementation="eager")

        class Net(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.bert = encoder()
                self.out = torch.nn.Linear(self.bert.config.hidden_size, n_out)
                torch.nn.init.zeros_(self.out.weight)
                torch.nn.init.zeros_(self.out.bias)

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                h = self.bert(
                    input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
                ).last_hidden_state
                m = attention_mask.unsqueeze(-1).to(h.dtype)
                pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
                return self.out(pooled)

        return Net()


def _tokenizer(max_len: int) -> Any:
    from tokenizers import Tokenizer

    from alignloop.models import embedder_path

    tok = Tokenizer.from_file(str(embedder_path() / "tokenizer.json"))
    tok.enable_truncation(max_len)
    tok.no_padding()
    return tok


def _targets(rows: Sequence[Row], cats: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per row: (unsafe, injection, category index) with -1 for unknown, and the mask of known values."""
    y = np.full((len(rows), 3), -1, dtype=np.int64)
    for i, r in enumerate(rows):
        if r.unsafe is not None:
            y[i, 0] = r.unsafe
        if r.injection is not None:
            y[i, 1] = r.injection
        if r.unsafe == 1 and r.category in cats:
            y[i, 2] = cats.index(r.category)  # type: ignore[arg-type]
    return y, y >= 0


def _batches(lengths: list[int], bs: int, rng: random.Random) -> list[list[int]]:
    # similar lengths together: short prompts are not padded to a long reply's length
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    out = [order[i : i + bs] for i in range(0, len(order), bs)]
    rng.shuffle(out)
    return out


def _encode(tok: Any, texts: Sequence[str], idx: list[int]) -> dict[str, Any]:
    import torch

    enc = [tok.encode(texts[i]).ids for i in idx]
    n = max(len(e) for e in enc)
    ids = torch.zeros((len(enc), n), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for k, e in enumerate(enc):
        ids[k, : len(e)] = torch.tensor(e)
        mask[k, : len(e)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}


def train_model(
    rows: Sequence[Row],
    cats: list[str],
    cfg: FinetuneConfig,
    say: Callable[[str], None] = lambda _m: None,
    on_checkpoint: Callable[[float, Any], None] | None = None,
) -> Any:
    """Fine-tune on ``rows`` (train rows only: the caller splits). Returns the torch model.

    ``on_checkpoint(epochs, net)`` is called (in eval mode, then training resumes) at each of
    ``cfg.checkpoints`` that training reaches, and at the end.
    """
    import torch

    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    rng = random.Random(cfg.seed)
    tok = _tokenizer(cfg.max_len)
    texts = [r.text for r in rows]
    lengths = [len(tok.encode(t).ids) for t in texts]
    y, known = _targets(rows, cats)
    yt, kt = torch.tensor(y), torch.tensor(known)
    # balance positives and negatives of the two yes/no outputs
    pw = [float((y[:, j] == 0).sum()) / max(float((y[:, j] == 1).sum()), 1.0) for j in (0, 1)]
    net = _Net.build(2 + len(cats), cfg.tiny).train()
    params = [
        {"params": net.bert.parameters(), "lr": cfg.lr},
        {"params": net.out.parameters(), "lr": cfg.lr * 20},
    ]
    opt = torch.optim.AdamW(params, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(rows) / cfg.batch_size)
    total = max(1, int(steps_per_epoch * cfg.epochs))
    warm = max(1, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (total - s) / max(total - warm, 1))
    )
    bce = [torch.nn.BCEWithLogitsLoss(reduction="none", pos_weight=torch.tensor(p)) for p in pw]
    marks = sorted({min(total, max(1, int(steps_per_epoch * e))) for e in cfg.checkpoints if e <= cfg.epochs} | {total})
    step, t0 = 0, time.time()
    while step < total:
        for idx in _batches(lengths, cfg.batch_size, rng):
            if step >= total:
                break
            logits = net(**_encode(tok, texts, idx))
            yb, kb = yt[idx], kt[idx]
            loss = torch.zeros(())
            for j in (0, 1):
                if kb[:, j].any():
                    lj = bce[j](logits[:, j], yb[:, j].clamp(min=0).float())
                    loss = loss + (lj * kb[:, j]).sum() / kb[:, j].sum()
            if kb[:, 2].any():
                ce = torch.nn.functional.cross_entropy(logits[kb[:, 2]][:, 2:], yb[kb[:, 2], 2])
                loss = loss + cfg.category_weight * ce
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if step % 20 == 0 or step == total:
                say(f"step {step}/{total} loss {float(loss.detach()):.3f} ({time.time() - t0:.0f}s)")
            if on_checkpoint is not None and step in marks:
                on_checkpoint(round(step / steps_per_epoch, 2), net.eval())
                net.train()
    return net.eval()


def torch_logits(net: Any, texts: Sequence[str], max_len: int, batch_size: int = 64) -> np.ndarray:
    """Logits of the (unquantized) torch model for ``texts``, in padded batches of similar length.

    Used to score checkpoints on dev while training; padding is masked out, so a text's logits do
    not depend on its neighbours here (unlike the int8 ONNX model).
    """
    import torch

    tok = _tokenizer(max_len)
    lengths = [len(tok.encode(t).ids) for t in texts]
    order = sorted(range(len(texts)), key=lambda i: lengths[i])
    out: np.ndarray | None = None
    with torch.no_grad():
        for k in range(0, len(order), batch_size):
            idx = order[k : k + batch_size]
            z = net(**_encode(tok, texts, idx)).numpy()
            if out is None:
                out = np.zeros((len(texts), z.shape[1]), dtype=np.float32)
            out[idx] = z
    return out if out is not None else np.zeros((0, 0), dtype=np.float32)


def export_onnx(net: Any, folder: Path, quantize: bool = True) -> Path:
    """Write ``net`` as ``model.onnx`` (int8 weights when ``quantize``) plus ``tokenizer.json`` into ``folder``."""
    import shutil

    import torch

    from alignloop.models import embedder_path

    folder.mkdir(parents=True, exist_ok=True)
    fp32 = folder / "model.fp32.onnx"
    ids = torch.ones(2, 16, dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            net,
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(fp32),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["logits"],
            dynamic_axes={k: {0: "b", 1: "t"} for k in ("input_ids", "attention_mask", "token_type_ids")},
            opset_version=17,
            dynamo=False,
        )
    out = folder / "model.onnx"
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # per-channel scales: one scale per output column keeps the fine-tuned classifier's dev F1 within
        # noise of fp32, where one scale per matrix lost 0.06 of it (docs/guard.md, fourth build)
        quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True)
        fp32.unlink()
    else:
        fp32.rename(out)
    shutil.copy(embedder_path() / "tokenizer.json", folder / "tokenizer.json")
    return out


def write_model(
    out_dir: Path,
    net: Any,
    meta: dict[str, Any],
    quantize: bool = True,
) -> Path:
    """Export ``net`` with ``meta.json`` into ``out_dir`` atomically."""
    with atomic_path(out_dir) as tmp:
        tmp.mkdir(parents=True)
        export_onnx(net, tmp, quantize)
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    return out_dir


def config_dict(cfg: FinetuneConfig) -> dict[str, Any]:
    """The config as recorded in metadata."""
    return asdict(cfg)
