"""Bearer-key authentication against the store's active keys, cached for a couple of seconds."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import socket
import time

import anyio

from alignloop.serve._errors import unauthorized
from alignloop.serve._keys import ApiKey, hash_key, list_keys
from alignloop.store import RunStore

REFRESH_S = 2.0
"""How stale the key cache may get: a revoked key stops working within this many seconds."""


class KeyRing:
    """Active keys by hash.

    Requests are anonymous only while no key has ever been created (and ``required`` is off): revoking
    the last key must not open the gateway.
    """

    def __init__(self, store: RunStore | None, required: bool = False, refresh_s: float = REFRESH_S) -> None:
        self.store = store
        self.required = required
        self.refresh_s = refresh_s
        self._keys: dict[str, ApiKey] = {}
        self._any = False
        self._loaded = -1e9
        self._lock: asyncio.Lock | None = None

    def refresh(self) -> None:
        """Re-read the active keys."""
        if self.store is not None:
            keys = list_keys(self.store)
            self._keys = {k.key_hash: k for k in keys if k.active}
            self._any = bool(keys)
        self._loaded = time.monotonic()

    async def _refresh_once(self) -> None:
        """Refresh in a worker thread; requests that find the cache stale meanwhile wait for that one read."""
        if self._lock is None:  # made here: an asyncio lock belongs to the running loop
            self._lock = asyncio.Lock()
        async with self._lock:
            if time.monotonic() - self._loaded > self.refresh_s:
                await anyio.to_thread.run_sync(self.refresh)

    @property
    def open(self) -> bool:
        """Whether requests need no key (none was ever created and none is required)."""
        return not self._any and not self.required

    async def authenticate(self, header: str | None) -> ApiKey | None:
        """The key an ``Authorization`` header presents; None for anonymous access.

        Raises:
            GatewayError: 401 when a key is needed and missing, wrong or revoked.
        """
        if time.monotonic() - self._loaded > self.refresh_s:
            await self._refresh_once()
        if self.open:
            return None
        if not header or not header.lower().startswith("bearer "):
            raise unauthorized("missing API key: send 'Authorization: Bearer KEY'")
        digest = hash_key(header[7:].strip())
        for known, key in self._keys.items():  # constant-time compare against every key
            if hmac.compare_digest(known, digest):
                return key
        raise unauthorized("invalid or revoked API key")


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine."""
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(a[4][0]).is_loopback for a in socket.getaddrinfo(host, None))
        except OSError:
            return False
