"""Governance: the hash-chained audit log, release approval, model cards, compliance and incidents.

Names are imported on first use, so a constitution that validates its ``frameworks:`` references
(``alignloop.govern._frameworks``) does not pull in the database layer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alignloop.govern._audit import (
        AUDIT_KEY_ENV,
        VerifyResult,
        append_audit,
        audit_entries,
        audit_key,
        entry_digest,
        export_audit,
        row_entry,
        verify_entries,
        verify_file,
        verify_store,
    )
    from alignloop.govern._card import build_card, write_card
    from alignloop.govern._compliance import compliance_report, render_html
    from alignloop.govern._frameworks import FRAMEWORKS
    from alignloop.govern._incidents import (
        CATEGORIES,
        Incident,
        close_incident,
        get_incident,
        list_incidents,
        open_incident,
        update_incident,
    )
    from alignloop.govern._release import (
        ReleaseInfo,
        decide,
        list_releases,
        release_status,
        require_approved,
    )

_WHERE = {
    "_audit": "AUDIT_KEY_ENV VerifyResult append_audit audit_entries audit_key entry_digest export_audit row_entry "
    "verify_entries verify_file verify_store",
    "_card": "build_card write_card",
    "_compliance": "compliance_report render_html",
    "_frameworks": "FRAMEWORKS",
    "_incidents": "CATEGORIES Incident close_incident get_incident list_incidents open_incident update_incident",
    "_release": "ReleaseInfo decide list_releases release_status require_approved",
}
_MODULE = {name: mod for mod, names in _WHERE.items() for name in names.split()}

__all__ = [
    "AUDIT_KEY_ENV",
    "CATEGORIES",
    "FRAMEWORKS",
    "Incident",
    "ReleaseInfo",
    "VerifyResult",
    "append_audit",
    "audit_entries",
    "audit_key",
    "build_card",
    "close_incident",
    "compliance_report",
    "decide",
    "entry_digest",
    "export_audit",
    "get_incident",
    "list_incidents",
    "list_releases",
    "open_incident",
    "release_status",
    "render_html",
    "require_approved",
    "row_entry",
    "update_incident",
    "verify_entries",
    "verify_file",
    "verify_store",
    "write_card",
]


def __getattr__(name: str) -> Any:
    if name not in _MODULE:
        raise AttributeError(f"module 'alignloop.govern' has no attribute {name!r}")
    return getattr(importlib.import_module(f"alignloop.govern.{_MODULE[name]}"), name)
