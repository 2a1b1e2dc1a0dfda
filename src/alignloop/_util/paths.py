"""Where alignloop keeps its cache and data (overridable with ALIGNLOOP_HOME)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from alignloop._util.errors import ModelError


def home() -> Path:
    """Root of alignloop's per-user state: ``$ALIGNLOOP_HOME`` or the platform data dir."""
    env = os.environ.get("ALIGNLOOP_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("alignloop", appauthor=False))


def cache_dir() -> Path:
    """Cache for derived artifacts (dequantized models, guard artifacts, ONNX exports)."""
    env = os.environ.get("ALIGNLOOP_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    if os.environ.get("ALIGNLOOP_HOME"):
        return home() / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir("alignloop", appauthor=False))


def installed_package_dir(package: str, missing: str, hint: str) -> Path:
    """Folder of the installed (data-only) Python package ``package``.

    Raises:
        ModelError: the package is not installed (``missing`` and ``hint`` are its message and hint).
    """
    # find_spec, not import: a data package's __init__ may import things we do not install
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(missing, hint=hint)
    return Path(next(iter(spec.submodule_search_locations)))
