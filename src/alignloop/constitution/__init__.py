"""Specify: the constitution that drives data generation, guards, red-teaming, evals and gates."""

from alignloop.constitution._load import (
    LoadedConstitution,
    constitution_hash,
    default_path,
    load_constitution,
)
from alignloop.constitution._schema import (
    Action,
    Category,
    Constitution,
    Principle,
    RefusalStyle,
    ReleaseGates,
    Severity,
)

__all__ = [
    "Action",
    "Category",
    "Constitution",
    "LoadedConstitution",
    "Principle",
    "RefusalStyle",
    "ReleaseGates",
    "Severity",
    "constitution_hash",
    "default_path",
    "load_constitution",
]
