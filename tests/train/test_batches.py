"""Label-balanced batch order for DPO (``train/_batches``)."""

from __future__ import annotations

from collections import Counter

import pytest
import torch

from alignloop.data import PreferencePair
from alignloop.train._batches import InterleavedSampler, interleaved_order, pair_group


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_batches_hold_each_group_in_proportion() -> None:
    # the loop's mix: about half refusal pairs, a quarter each borderline and benign helpful pairs
    groups = ["harmful"] * 170 + ["borderline"] * 89 + ["benign"] * 90
    per_batch: Counter[int] = Counter()
    for seed in range(10):
        order = interleaved_order(groups, _gen(seed))
        assert sorted(order) == list(range(len(groups)))  # a permutation: nothing lost or repeated
        for start in range(0, len(order) - 3, 4):
            batch = Counter(groups[i] for i in order[start : start + 4])
            per_batch[batch["harmful"]] += 1
            assert batch["borderline"] <= 2 and batch["benign"] <= 2, batch
    # a plain shuffle gives 0 or 4 refusal pairs in about 13% of batches and exactly 2 in 38%
    assert set(per_batch) <= {1, 2, 3}
    assert per_batch[2] >= 0.9 * sum(per_batch.values()), per_batch


def test_uneven_groups_stay_near_their_share_in_every_window() -> None:
    groups = ["a"] * 7 + ["b"] * 3 + ["c"] * 1
    sizes = Counter(groups)
    for seed in range(20):
        order = interleaved_order(groups, _gen(seed))
        for width in (3, 5, 8):
            for start in range(len(order) - width + 1):
                window = Counter(groups[i] for i in order[start : start + width])
                for name, n in sizes.items():
                    share, slack = width * n / len(groups), 1 + len(sizes) * n / len(groups)
                    assert abs(window[name] - share) < slack, (seed, width, start, name)


def test_order_is_seeded_and_shuffles_within_groups() -> None:
    groups = ["x"] * 30 + ["y"] * 30
    a, b = interleaved_order(groups, _gen(1)), interleaved_order(groups, _gen(1))
    assert a == b
    assert interleaved_order(groups, _gen(2)) != a
    xs = [i for i in a if groups[i] == "x"]
    assert xs != sorted(xs)


def test_sampler_orders_depend_on_seed_and_epoch_only() -> None:
    groups = ["x", "y"] * 20
    s = InterleavedSampler(groups, seed=5)
    torch.manual_seed(123)  # the global RNG must not matter: a resumed run skips the same batches
    first = list(s)
    torch.manual_seed(999)
    assert list(s) == first and len(s) == len(groups)
    s.set_epoch(1)
    assert list(s) != first
    assert list(InterleavedSampler(groups, seed=6)) != first


@pytest.mark.parametrize(
    ("extra", "expected"),
    [({"label": "borderline", "source": "helpfulness"}, "borderline"), ({"source": "cai"}, "cai"), ({}, "")],
)
def test_pair_group_prefers_the_label_then_the_source(extra: dict[str, str], expected: str) -> None:
    pair = PreferencePair.model_validate(
        {
            "id": "p",
            "prompt": [{"role": "user", "content": "q"}],
            "chosen": [{"role": "assistant", "content": "a"}],
            "rejected": [{"role": "assistant", "content": "b"}],
            **extra,
        }
    )
    assert pair_group(pair) == expected
