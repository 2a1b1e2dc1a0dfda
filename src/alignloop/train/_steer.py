"""Move a trained model's refusal threshold without retraining: a constant shift along its refusal direction.

The refusal direction at a decoder layer is the mean hidden state at the end of harmful prompts
minus that of safe ones (difference of means, as in Arditi et al. 2024). Adding ``alpha`` times it
to the residual stream after that layer, at every position, makes the model treat every prompt as
more (``alpha > 0``) or less (``alpha < 0``) harmful: one knob for where the model sits on its
refuse/answer trade-off. On SmolLM2-135M after the loop's DPO, 0.15 took one seed from 0.377 to
0.246 harmful compliance (3.8% -> 6.9% over-refusal) and -0.2 took another from 15.4% to 6.2%
over-refusal (0.108 -> 0.238); see ``docs/design.md``. Given a target over-refusal instead of an
alpha, :func:`steer_refusal` searches for the alpha (``_calibrate``); ``alignloop run`` does that
after DPO.

The shift is folded into the weights as the bias of that layer's MLP down-projection (``mlp_bias``
in the config, zeros elsewhere), so the folder still loads with ``AutoModelForCausalLM`` and
serves anywhere. Architectures whose config has no ``mlp_bias`` switch (Llama-family ones do) are
refused with a clear message.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from alignloop._util.atomic import atomic_path
from alignloop._util.errors import UserError
from alignloop.train._calibrate import MAX_UP_ALPHA, AlphaSearch, noise_band, search_alpha

STEER_FILE = "alignloop_steer.json"
"""Provenance written next to the weights: source model, layer, alpha, direction norm, prompt counts."""


@dataclass
class SteerResult:
    """Where the steered model went and what shifted it."""

    model_dir: Path
    source: str
    layer: int
    alpha: float
    direction_norm: float
    """Norm of the difference of means (the shift is ``alpha`` times it)."""
    harmful_prompts: int
    safe_prompts: int
    calibration: dict[str, Any] | None = None
    """With a target over-refusal: :class:`~alignloop.train._calibrate.AlphaSearch` as a dict."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (CLI ``--json`` and ``STEER_FILE``)."""
        d = asdict(self)
        d["model_dir"] = str(self.model_dir)
        return d


def default_layer(num_layers: int) -> int:
    """The last layer of the model's first half (14 of SmolLM2-135M's 30, where it was measured)."""
    return max(0, num_layers // 2 - 1)


class _Reached(Exception):
    """Raised by a forward hook once the steered layer has run: the layers above and the LM head are not needed."""


def _last_token_states(model: Any, tokenizer: Any, convs: Sequence[Any], layer: int, batch_size: int) -> Any:
    import torch

    blocks = getattr(getattr(model, "model", None), "layers", None)
    captured: list[Any] = []

    def stop(_module: Any, _args: Any, output: Any) -> None:
        captured.append(output[0] if isinstance(output, tuple) else output)
        raise _Reached

    side = tokenizer.padding_side
    tokenizer.padding_side = "left"  # the last position is every row's generation prompt
    handle = blocks[layer].register_forward_hook(stop) if blocks is not None else None
    try:
        out = []
        for i in range(0, len(convs), batch_size):
            texts = [
                tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
                for c in convs[i : i + batch_size]
            ]
            enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
            with torch.inference_mode():
                if handle is None:
                    hidden = model(**enc, output_hidden_states=True).hidden_states[layer + 1]  # [0]: embeddings
                else:
                    # stopping after the layer halves the cost on SmolLM2-135M (30 layers and a 49k-word head)
                    captured.clear()
                    with contextlib.suppress(_Reached):
                        model.model(**enc)
                    hidden = captured[0]
            out.append(hidden[:, -1].float())
        return torch.cat(out)
    finally:
        if handle is not None:
            handle.remove()
        tokenizer.padding_side = side


def refusal_direction(
    model: Any,
    tokenizer: Any,
    harmful: Sequence[Any],
    safe: Sequence[Any],
    layer: int,
    batch_size: int = 16,
) -> Any:
    """Mean hidden state after decoder ``layer`` at the end of ``harmful`` conversations minus ``safe`` ones."""
    h = _last_token_states(model, tokenizer, harmful, layer, batch_size)
    s = _last_token_states(model, tokenizer, safe, layer, batch_size)
    return h.mean(0) - s.mean(0)


def _default_prompts(limit: int) -> tuple[list[Any], list[Any]]:
    from alignloop.train._recipe import spread_train

    def pick(label: str, n: int) -> list[Any]:
        return [r.conversation() for r in spread_train(label, n)]

    # safe = half borderline (the prompts the threshold must keep answering), half ordinary
    return pick("harmful", limit), pick("borderline", -(-limit // 2)) + pick("benign", limit // 2)


def _check(model: Any, layer: int | None, spec: str) -> int:
    """The decoder layer to steer (``layer``, else the default), after checking the model can take the bias."""
    cfg = model.config
    blocks = getattr(getattr(model, "model", None), "layers", None) or []
    mlp_ok = all(hasattr(getattr(b, "mlp", None), p) for b in blocks for p in ("gate_proj", "up_proj", "down_proj"))
    if not hasattr(cfg, "mlp_bias") or not blocks or not mlp_ok:
        raise UserError(
            f"{spec}: steering folds the shift into an MLP bias, which {cfg.model_type!r} models do not have",
            hint="steer a Llama-family model (its config has 'mlp_bias'), or move the trade-off with "
            "`--merge-scale` when training",
        )
    n = len(blocks)
    if layer is None:
        return default_layer(n)
    if not 0 <= layer < n - 1:
        raise UserError(
            f"--layer {layer} is outside this model's decoder layers 0..{n - 2}",
            hint=f"leave it out for the default ({default_layer(n)})",
        )
    return layer


def _shifter(model: Any, layer: int) -> Callable[[Any], None]:
    """Give every MLP projection a bias (zeros unless it had one); returns ``shift(v)``, which sets
    ``layer``'s down-projection bias to its original value plus ``v`` (an already steered model keeps its shift)."""
    import torch

    for block in model.model.layers:
        for proj in (block.mlp.gate_proj, block.mlp.up_proj, block.mlp.down_proj):
            if proj.bias is None:
                w = proj.weight
                proj.bias = torch.nn.Parameter(torch.zeros(w.shape[0], dtype=w.dtype, device=w.device))
    model.config.mlp_bias = True
    bias = model.model.layers[layer].mlp.down_proj.bias
    base = bias.detach().clone()

    def shift(v: Any) -> None:
        with torch.no_grad():
            bias.copy_(base + v.to(bias.dtype))

    return shift


Refused = Callable[[Sequence[str], Sequence[str]], list[bool]]
"""``(prompts, replies) -> refused?`` per reply, fully or partly (the over-refusal suite's rule)."""


def steer_refusal(
    model: str,
    out_dir: str | os.PathLike[str],
    alpha: float | None = None,
    *,
    target: float | None = None,
    calibration: Sequence[Any] | None = None,
    refused: Refused | None = None,
    tolerance: float | None = None,
    max_up: float = MAX_UP_ALPHA,
    max_new_tokens: int = 24,
    layer: int | None = None,
    harmful: Sequence[Any] | None = None,
    safe: Sequence[Any] | None = None,
    limit: int = 200,
    progress: Callable[[int], None] | None = None,
) -> SteerResult:
    """Save a copy of ``model`` shifted by ``alpha`` times its refusal direction at ``layer``.

    ``harmful`` and ``safe`` are chat conversations (lists of messages); by default ``limit`` harmful
    train prompts and as many safe ones (half borderline, half benign), spread over categories. Dev
    prompts are never used, so evaluations of the result stay clean. On SmolLM2-135M 0.15 is a clear
    move and 0.25 a large one; negative values make the model refuse less.

    Instead of ``alpha``, a ``target`` over-refusal rate picks it (:func:`~alignloop.train._calibrate.search_alpha`):
    greedy replies of ``max_new_tokens`` to the ``calibration`` conversations (borderline-safe
    prompts the model was not trained on), judged by ``refused``, at a few alphas; the largest alpha
    within the target wins, pushing up by at most ``max_up``. ``progress`` is called with the
    replies generated. A model whose rate at alpha 0 is over the target by at most ``tolerance``
    (default: one standard error at the target, :func:`~alignloop.train._calibrate.noise_band`) keeps
    alpha 0.

    Raises:
        UserError: the architecture has no MLP bias to fold into, ``layer`` is out of range, or
            neither or both of ``alpha`` and ``target`` are given.
        ModelError: ``model`` cannot be loaded.
    """
    from alignloop.train._common import load_causal_lm, load_tokenizer, resolve_model_path

    if (alpha is None) == (target is None):
        raise UserError("give exactly one of alpha (a fixed shift) and target (an over-refusal rate)")
    if target is not None and (not calibration or refused is None):
        raise UserError(
            "a target over-refusal needs calibration prompts and a refusal judge",
            hint="pass borderline-safe prompts the model was not trained on, or give alpha instead",
        )
    if harmful is None or safe is None:
        dh, ds = _default_prompts(limit)
        harmful = dh if harmful is None else harmful
        safe = ds if safe is None else safe
    if not harmful or not safe:
        raise UserError("steering needs at least one harmful and one safe prompt")
    path = resolve_model_path(model)
    lm = load_causal_lm(path).eval()
    tok = load_tokenizer(path)
    side = tok.padding_side
    layer = _check(lm, layer, model)
    direction = refusal_direction(lm, tok, harmful, safe, layer)
    shift = _shifter(lm, layer)
    search = None
    if target is not None:
        assert calibration is not None and refused is not None
        convs = list(calibration)
        band = noise_band(target, len(convs)) if tolerance is None else tolerance
        search = _calibrate(lm, tok, shift, direction, convs, refused, target, band, max_up, max_new_tokens, progress)
        alpha = search.alpha
        tok.padding_side = side  # generation set it to left; save the tokenizer as it came
    assert alpha is not None
    shift(alpha * direction)
    res = SteerResult(
        model_dir=Path(out_dir),
        source=path,
        layer=layer,
        alpha=alpha,
        direction_norm=float(direction.norm()),
        harmful_prompts=len(harmful),
        safe_prompts=len(safe),
        calibration=search.to_dict() if search is not None else None,
    )
    with atomic_path(res.model_dir) as tmp:
        lm.save_pretrained(str(tmp), safe_serialization=True)
        tok.save_pretrained(str(tmp))
        (Path(tmp) / STEER_FILE).write_text(json.dumps(res.to_dict(), indent=2, sort_keys=True))
    return res


def _calibrate(
    lm: Any,
    tok: Any,
    shift: Callable[[Any], None],
    direction: Any,
    convs: list[Any],
    refused: Refused,
    target: float,
    tolerance: float,
    max_up: float,
    max_new_tokens: int,
    progress: Callable[[int], None] | None,
) -> AlphaSearch:
    from alignloop.models._base import GenerationConfig
    from alignloop.models._hf import HFChatModel

    chat = HFChatModel(lm, tok, name="steering")
    texts = [str(c[-1]["content"]) for c in convs]
    cfg = GenerationConfig(max_new_tokens=max_new_tokens)

    def refused_at(alpha: float, idx: Sequence[int]) -> list[bool]:
        shift(alpha * direction)
        replies = chat.generate([convs[i] for i in idx], cfg, progress=progress)
        return refused([texts[i] for i in idx], replies)

    return search_alpha(refused_at, len(convs), target, tolerance=tolerance, max_up=max_up)
