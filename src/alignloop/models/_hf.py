"""Local Hugging Face causal LMs: batched, left-padded, length-bucketed generation and log-probs."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alignloop._util.errors import ModelError, free_accelerator_memory, is_oom
from alignloop.models._base import ChatModel, Completion, Conversation, GenerationConfig, ProgressFn

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

log = logging.getLogger("alignloop.models")

# Used only when a tokenizer ships no chat template (base models); documented in the README.
FALLBACK_CHAT_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] == 'system' %}{{ m['content'] }}\n\n"
    "{% elif m['role'] == 'user' %}User: {{ m['content'] }}\n"
    "{% else %}Assistant: {{ m['content'] }}{{ eos_token }}\n{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}"
)


def fold_system(msgs: Sequence[Any]) -> list[Any]:
    """``msgs`` with a leading system turn merged into the user turn after it (or made one)."""
    system, rest = msgs[0]["content"], [dict(m) for m in msgs[1:]]
    if rest and rest[0]["role"] == "user":
        rest[0]["content"] = f"{system}\n\n{rest[0]['content']}"
        return rest
    return [{"role": "user", "content": system}, *rest]


def ensure_chat_template(tokenizer: PreTrainedTokenizerBase) -> bool:
    """Give ``tokenizer`` a plain User/Assistant template if it has none. Returns True if one was added."""
    if getattr(tokenizer, "chat_template", None):
        return False
    tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
    return True


def prepare_tokenizer(tokenizer: PreTrainedTokenizerBase) -> PreTrainedTokenizerBase:
    """Left padding (decoder-only generation needs it) and a pad token."""
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    ensure_chat_template(tokenizer)
    return tokenizer


class HFChatModel(ChatModel):
    """A transformers causal LM with its tokenizer.

    Generation sorts prompts by length and batches neighbours (length bucketing), so little
    compute is spent on padding; outputs come back in input order.
    """

    supports_logprobs = True

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        name: str = "hf",
        batch_size: int = 16,
        max_prompt_tokens: int = 1024,
    ) -> None:
        self.model = model
        self.tokenizer = prepare_tokenizer(tokenizer)
        self.name = name
        self.batch_size = batch_size
        self.max_prompt_tokens = max_prompt_tokens
        self._folds_system = False
        self.model.eval()

    @property
    def device(self) -> Any:
        """The torch device the model lives on."""
        return next(self.model.parameters()).device

    def render(self, conv: Conversation, add_generation_prompt: bool = True) -> str:
        """The prompt text for ``conv`` under the tokenizer's chat template.

        Templates that reject a system turn (Gemma's, older Mistral ones) get it folded into the first
        user turn instead, with a warning the first time.
        """
        from jinja2 import TemplateError

        msgs = list(conv)
        try:
            return self._apply(msgs, add_generation_prompt)
        except TemplateError:
            if not msgs or msgs[0]["role"] != "system":
                raise
            folded = fold_system(msgs)
            out = self._apply(folded, add_generation_prompt)  # still failing: the template's own error
            if not self._folds_system:
                self._folds_system = True
                log.warning("%s: the chat template rejects a system turn; folded into the first user turn", self.name)
            return out

    def _apply(self, msgs: list[Any], generation_prompt: bool) -> str:
        return str(self.tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=generation_prompt))

    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        ids = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        # keep the end of an over-long prompt: the question is there
        return [x[-self.max_prompt_tokens :] for x in ids]

    def _stop_ids(self) -> set[int]:
        eos = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
        ids = set(eos if isinstance(eos, list | tuple) else [] if eos is None else [eos])
        if self.tokenizer.eos_token_id is not None:
            ids.add(int(self.tokenizer.eos_token_id))
        return ids

    def complete(
        self,
        conversations: Sequence[Conversation],
        config: GenerationConfig | None = None,
        progress: ProgressFn | None = None,
    ) -> list[Completion]:
        """One reply per conversation (greedy unless ``config.temperature > 0``); ``finished`` is False
        where generation hit ``max_new_tokens`` before an end token."""
        import torch

        cfg = config or GenerationConfig()
        if not conversations:
            return []
        ids = self._encode([self.render(c) for c in conversations])
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out: list[Completion] = [Completion("")] * len(ids)
        stop_ids = self._stop_ids()
        pad = self.tokenizer.pad_token_id
        gen_kwargs: dict[str, Any] = {
            "max_new_tokens": cfg.max_new_tokens,
            "pad_token_id": pad,
            "do_sample": not cfg.greedy,
        }
        if not cfg.greedy:
            gen_kwargs.update(temperature=cfg.temperature, top_p=cfg.top_p)
        if cfg.seed is not None:
            torch.manual_seed(cfg.seed)

        def run(idx: list[int]) -> None:
            width = max(len(ids[i]) for i in idx)
            input_ids = torch.full((len(idx), width), pad, dtype=torch.long)
            attn = torch.zeros((len(idx), width), dtype=torch.long)
            for r, i in enumerate(idx):
                n = len(ids[i])
                input_ids[r, width - n :] = torch.tensor(ids[i])
                attn[r, width - n :] = 1
            with torch.inference_mode():
                gen = self.model.generate(  # type: ignore[operator]
                    input_ids=input_ids.to(self.device), attention_mask=attn.to(self.device), **gen_kwargs
                )
            new = gen[:, width:]
            texts = self.tokenizer.batch_decode(new, skip_special_tokens=True)
            for r, i in enumerate(idx):
                text = _apply_stop(texts[r], cfg.stop)
                ended = (
                    new.shape[1] < cfg.max_new_tokens
                    or any(int(t) in stop_ids for t in new[r].tolist())
                    or len(text) < len(texts[r])  # a stop string cut it
                )
                out[i] = Completion(text.strip(), ended)
            if progress:
                progress(len(idx))

        self._batched(order, run, doing="generating")
        return out

    def logprobs(self, conversations: Sequence[Conversation], continuations: Sequence[str]) -> list[float]:
        """Sum of log-probabilities of each continuation as the assistant's reply."""
        import torch

        prompts = [self.render(c) for c in conversations]
        results: list[float] = [0.0] * len(prompts)

        def run(idx: list[int]) -> None:
            i0 = idx[0]  # batches here are consecutive indices
            batch_p = prompts[i0 : i0 + len(idx)]
            batch_c = continuations[i0 : i0 + len(idx)]
            p_ids = self._encode(batch_p)
            c_ids = self.tokenizer(list(batch_c), add_special_tokens=False)["input_ids"]
            seqs = [p + c for p, c in zip(p_ids, c_ids, strict=True)]
            width = max(len(s) for s in seqs)
            pad = self.tokenizer.pad_token_id
            input_ids = torch.full((len(seqs), width), pad, dtype=torch.long)
            attn = torch.zeros_like(input_ids)
            for r, s in enumerate(seqs):  # right padding is simpler for scoring
                input_ids[r, : len(s)] = torch.tensor(s)
                attn[r, : len(s)] = 1
            with torch.inference_mode():
                logits = self.model(
                    input_ids=input_ids.to(self.device), attention_mask=attn.to(self.device)
                ).logits.float()
            logp = torch.log_softmax(logits[:, :-1], dim=-1)
            targets = input_ids[:, 1:].to(self.device)
            tok_lp = logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
            for r, (p, c) in enumerate(zip(p_ids, c_ids, strict=True)):
                lo, hi = len(p) - 1, len(p) + len(c) - 1
                results[i0 + r] = float(tok_lp[r, lo:hi].sum())

        self._batched(list(range(len(prompts))), run, doing="scoring log-probabilities")
        return results

    def _batched(self, order: list[int], run: Callable[[list[int]], None], *, doing: str) -> None:
        """Call ``run`` on consecutive slices of ``order``; halve the batch size on out-of-memory.

        The smaller size sticks for later calls, so one OOM costs one retried batch, not one per call.
        """
        start = 0
        while start < len(order):
            idx = order[start : start + self.batch_size]
            try:
                run(idx)
            except Exception as e:
                if not is_oom(e):
                    raise
                free_accelerator_memory()
                if len(idx) == 1:
                    raise ModelError(
                        f"out of memory {doing} with {self.name} even one prompt at a time",
                        hint="use shorter prompts or --max-new-tokens, a smaller model, or a device with more memory",
                    ) from None
                self.batch_size = max(1, len(idx) // 2)
                log.warning("out of memory with %d prompts per batch; retrying with %d", len(idx), self.batch_size)
                continue
            start += len(idx)

    def fingerprint(self) -> str:
        """sha256 over every parameter's name, shape, dtype and a strided sample of its values.

        A sample (at most 4,096 values per tensor) keeps this to milliseconds on any device; training
        (a merged LoRA delta included) moves every value of a tensor it touches, so samples catch it.
        """
        import hashlib

        import torch

        h = hashlib.sha256()
        with torch.no_grad():
            for name, p in self.model.named_parameters():
                flat = p.detach().reshape(-1)
                sample = flat[:: max(1, flat.numel() // 4096)].float().cpu().numpy()
                h.update(f"{name}:{tuple(p.shape)}:{p.dtype};".encode())
                h.update(sample.tobytes())
        return h.hexdigest()[:16]

    def describe(self) -> dict[str, Any]:
        """Name, backend and parameter count."""
        d = super().describe()
        d["parameters"] = sum(p.numel() for p in self.model.parameters())
        d["dtype"] = str(next(self.model.parameters()).dtype).replace("torch.", "")
        return d


def _apply_stop(text: str, stop: Sequence[str]) -> str:
    cut = len(text)
    for s in stop:
        i = text.find(s)
        if i != -1:
            cut = min(cut, i)
    return text[:cut]


def load_hf(name_or_path: str, dtype: str | None = None, device: str | None = None, **kw: Any) -> HFChatModel:
    """Load a causal LM from a local folder or a hub id.

    Raises:
        ModelError: the path does not exist, is not a model folder, or the hub id cannot be
            reached (offline machines).
    """
    from alignloop._util.hardware import detect

    hw = detect()
    p = Path(os.path.expanduser(name_or_path))
    looks_local = name_or_path.startswith((".", "/", "~")) or p.exists() or name_or_path.count("/") > 1
    if looks_local:
        if not p.exists():
            raise ModelError(
                f"model path does not exist: {name_or_path}",
                hint="give a folder with config.json, a hub id like 'org/name', or 'default'",
            )
        if p.is_dir() and not (p / "config.json").exists():
            raise ModelError(
                f"{name_or_path} is not a model folder (no config.json)",
                hint="point --model at the folder written by save_pretrained",
            )
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch_dtype = getattr(torch, dtype or hw.dtype)
    try:
        tok = AutoTokenizer.from_pretrained(str(p) if looks_local else name_or_path)
        model = AutoModelForCausalLM.from_pretrained(str(p) if looks_local else name_or_path, dtype=torch_dtype)
    except OSError as e:
        where = "folder" if looks_local else "hub id"
        raise ModelError(
            f"cannot load model {where} {name_or_path!r}: {str(e).splitlines()[0]}",
            hint="check the name; hub ids need internet (or a local copy in the HF cache)",
        ) from None
    model.to(device or hw.device)  # type: ignore[arg-type]
    # a GPU generates 64 rows in about the time a CPU takes for 16; on 2 CPU cores 32 rows per batch
    # generated 64 prompts x 48 tokens 11% faster than 16 (28.5 s against 32.2 s; 24 was in between)
    kw.setdefault("batch_size", 64 if (device or hw.device) == "cuda" else 32)
    return HFChatModel(model, tok, name=name_or_path, **kw)
