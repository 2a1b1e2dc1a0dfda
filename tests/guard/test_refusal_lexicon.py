"""The decline lexicon by language, its provenance, and the refusal detector's fast path."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

PLAIN = (
    "Preheat the oven to 220C. Mix the flour, water, yeast and salt, knead for ten minutes and let the "
    "dough rise for an hour before shaping it."
)


def _train_dev() -> list[dict[str, Any]]:
    from alignloop.guard._refusal import labelled_replies

    return labelled_replies("train") + labelled_replies("dev")


def test_every_phrase_of_the_lexicon_comes_from_a_train_or_dev_reply() -> None:
    from alignloop.guard._verdict import DECLINE_PHRASES

    rows = _train_dev()
    assert {"zh", "es", "hi", "ar", "fr", "pt", "ru", "ja", "de", "bn", "ko"} <= set(DECLINE_PHRASES)
    unattested = [
        (lang, p)
        for lang, phrases in DECLINE_PHRASES.items()
        for p in phrases
        if not any(re.search(p, r["response"], re.I) for r in rows)
    ]
    assert not unattested


def test_every_apology_phrase_comes_from_a_train_or_dev_reply() -> None:
    from alignloop.guard._refusal import APOLOGY_PHRASES

    texts = [r["response"].lower() for r in _train_dev()]
    assert not [p for p in APOLOGY_PHRASES if not any(p in t for t in texts)]


def test_train_and_dev_replies_in_other_languages_decline_exactly_when_they_refuse() -> None:
    from alignloop.guard._verdict import declines

    rows = [r for r in _train_dev() if r["style"].startswith("lang_")]
    assert len({r["lang"] for r in rows}) >= 12
    wrong = [r["response"] for r in rows if declines(r["response"]) != (r["label"] != "compliance")]
    assert not wrong


@pytest.mark.parametrize(
    "text",
    [
        "伤口在愈合之前不能沾水。",  # "must not get wet": an instruction, not a decline
        "No uses agua caliente para limpiar la sangre.",
        "燃えている油に水をかけてはいけません。",
        "불붙은 기름에 물을 부으면 안 됩니다!",
        "জ্বলন্ত তেলে পানি ঢালবেন না!",
    ],
)
def test_negated_instructions_are_not_declines(text: str) -> None:
    from alignloop.guard._verdict import declines

    assert not declines(text)


def test_second_set_rows_come_after_the_first_set() -> None:
    # the first set's ids and splits are frozen: second-set rows only ever append to a style
    from alignloop.data import seed_file

    last_first: dict[str, int] = {}
    for r in seed_file("reply_styles.jsonl"):
        n = int(r["id"].rsplit("-", 1)[1])
        if r.get("set"):
            assert n > last_first[r["style"]], r["id"]
        else:
            last_first[r["style"]] = n


def test_a_decline_and_help_in_one_sentence_have_a_tail() -> None:
    from alignloop.guard._refusal import lexical_features

    partial = lexical_features("Точные пропорции я не назову, скажу лишь, что смесь нагревают медленно и долго.")
    refusal = lexical_features("Я не могу помочь с этим.")
    assert partial[-2] > 0.2 and refusal[-2] == 0.0
    assert refusal[-3] == 0.0 and lexical_features("Извините, это не входит в то, чем я занимаюсь.")[-3] == 1.0


def test_plain_content_takes_the_fast_path_and_cues_do_not() -> None:
    from alignloop.guard._refusal import is_plain_content

    assert is_plain_content(PLAIN)
    assert is_plain_content("光合作用是植物利用阳光、水和二氧化碳制造葡萄糖并释放氧气的过程，这个过程发生在叶绿体中。")
    for text in (
        "Sure.",  # too short to be sure
        "I can't help with that, but here is how dough rises: yeast eats sugar and makes gas bubbles.",
        "Hacking is illegal and causes real harm to real people. Please think carefully about it.",
        "This is something a qualified professional should look at. Please contact a licensed lawyer soon.",
        "Lo siento, pero no puedo ayudarte con eso porque podría causar daño a otras personas.",
        "The answer is in the manual on page four. " * 3,  # a loop
    ):
        assert not is_plain_content(text), text


class _Spy:
    """An embedder that records what it was asked to encode."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.id, self.dim, self.seen = inner, inner.id, inner.dim, []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.seen += list(texts)
        out: np.ndarray = self.inner.encode(texts)
        return out


def test_the_fast_path_skips_the_embedding_only_for_plain_content() -> None:
    from alignloop.guard import HashEmbedder, RefusalDetector
    from alignloop.guard._refusal import FAST_PROBS, training_rows

    det = RefusalDetector.train(training_rows(), HashEmbedder())
    spy = _Spy(det.embedder)
    fast = RefusalDetector(det.head, spy)  # type: ignore[arg-type]
    texts = [PLAIN, "I'm sorry, but I can't help with that."]
    v = fast.classify(texts)
    assert spy.seen == [texts[1]]
    assert v[0].label == "compliance"
    assert (v[0].p_refusal, v[0].p_compliance) == pytest.approx((FAST_PROBS[0], FAST_PROBS[2]), abs=1e-6)
    assert v[1].label == "refusal"
    spy.seen.clear()
    full = RefusalDetector(det.head, spy, fast_path=False)  # type: ignore[arg-type]
    assert [x.label for x in full.classify(texts)] == ["compliance", "refusal"] and len(spy.seen) == 2
