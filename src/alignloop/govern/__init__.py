"""Governance: the hash-chained audit log, release approval, model cards, compliance and incidents."""

from alignloop.govern._audit import AUDIT_KEY_ENV, append_audit, audit_key, entry_digest, row_entry

__all__ = ["AUDIT_KEY_ENV", "append_audit", "audit_key", "entry_digest", "row_entry"]
