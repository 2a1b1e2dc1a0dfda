"""The detector registry: built-ins and plugins (entry-point group ``alignloop.detector``).

:class:`~alignloop.guard.Guard` runs what is registered here (see ``_detectors.py`` for the protocol).
"""

from __future__ import annotations

from typing import Any

from alignloop._util.registry import Registry

DETECTORS: Registry[Any] = Registry("detector")
