"""Keys derived from the secret: encryption at rest, keyed look-up hashes and signed receipts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from functools import cached_property

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# Stored values are "g1:" + base64(nonce || AES-256-GCM ciphertext). AES-GCM rather than
# Fernet: authenticated all the same, and about twenty times cheaper on the intake path.
_PREFIX = "g1:"


class _RandomPool:
    """Bytes from os.urandom, read a block at a time and handed out once each.

    Every os.urandom call releases the GIL, and under gunicorn's threads each release hands the
    GIL to another thread and back (two futex calls); a request needs four or five random
    values. A block per few hundred values keeps the same source with none of that. The pool is
    emptied in a forked child, so no two processes ever hand out the same bytes.
    """

    BLOCK = 4096

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._buf = b""
        self._pos = 0

    def take(self, n: int) -> bytes:
        with self._lock:
            if self._pos + n > len(self._buf):
                self._buf = os.urandom(max(self.BLOCK, n))
                self._pos = 0
            out = self._buf[self._pos : self._pos + n]
            self._pos += n
            return out


_pool = _RandomPool()


def random_bytes(n: int) -> bytes:
    """n bytes from the operating system's CSPRNG (as os.urandom), cheaper under threads."""
    return _pool.take(n)


def token_urlsafe(n: int) -> str:
    """A random URL-safe text token of n bytes (as secrets.token_urlsafe)."""
    return base64.urlsafe_b64encode(_pool.take(n)).rstrip(b"=").decode("ascii")


class Keys:
    """Sub-keys derived from ``MIZAN_SECRET_KEY`` so one secret never serves two purposes."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def _derive(self, purpose: str) -> bytes:
        return hmac.new(self._secret, b"mizan:" + purpose.encode(), hashlib.sha256).digest()

    @cached_property
    def _aead(self) -> AESGCM:
        return AESGCM(self._derive("encrypt-v1"))

    @cached_property
    def _lookup_key(self) -> bytes:
        return self._derive("lookup-v1")

    @cached_property
    def _receipt_key(self) -> bytes:
        return self._derive("receipt-v1")

    def encrypt(self, value: str | None) -> str | None:
        """Encrypt a private value (email, IP) for storage."""
        if value is None:
            return None
        nonce = random_bytes(12)
        sealed = nonce + self._aead.encrypt(nonce, value.encode(), b"mizan")
        return _PREFIX + base64.b64encode(sealed).decode("ascii")

    def decrypt(self, token: str | None) -> str | None:
        """Decrypt a stored private value; None when absent or unreadable with this key."""
        if token is None or not token.startswith(_PREFIX):
            return None
        try:
            sealed = base64.b64decode(token[len(_PREFIX) :], validate=True)
            return self._aead.decrypt(sealed[:12], sealed[12:], b"mizan").decode()
        except (InvalidTag, ValueError):
            return None

    def lookup_hash(self, kind: str, value: str | None) -> str | None:
        """Keyed hash for equality look-ups (flood, bans, trust); never leaves the private side."""
        if value is None:
            return None
        msg = f"{kind}:{value.strip().lower()}".encode()
        # hmac.new, not the one-shot hmac.digest: that one releases the GIL, and under threads
        # each release is a hand-off to another thread and back.
        return hmac.new(self._lookup_key, msg, hashlib.sha256).hexdigest()

    def receipt(self, comment_id: str) -> str:
        """Signed receipt that lets the author's browser poll a comment's status."""
        mac = hmac.new(self._receipt_key, comment_id.encode(), hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(mac).decode("ascii")

    def check_receipt(self, comment_id: str, receipt: str | None) -> bool:
        """True when the receipt was issued for this comment."""
        if not receipt or not receipt.isascii():  # compare_digest raises on non-ASCII str
            return False
        return hmac.compare_digest(self.receipt(comment_id), receipt)
