"""Red-team a model: attack strategies, an automated adversary, and failures exported as training data."""

from alignloop.redteam._adversary import Adversary, usable_rewrite
from alignloop.redteam._run import RedteamResult, plan_attacks, redteam, success
from alignloop.redteam._seeds import Seed, attack_seeds
from alignloop.redteam._strategies import STRATEGIES, Strategy, compose, resolve_strategies, translate_words

__all__ = [
    "STRATEGIES",
    "Adversary",
    "RedteamResult",
    "Seed",
    "Strategy",
    "attack_seeds",
    "compose",
    "plan_attacks",
    "redteam",
    "resolve_strategies",
    "success",
    "translate_words",
    "usable_rewrite",
]
