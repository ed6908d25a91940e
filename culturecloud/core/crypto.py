"""Authenticated encryption and keyed hashes for personal data.

`encrypt`/`decrypt` use AES-256-GCM with a random 96-bit nonce; the stored text is
"v1:" + base64(nonce + ciphertext + tag). `keyed_digest` is an HMAC-SHA256 under a
key derived from the same secret, so equal inputs can be found (a phone number at
log-in, an ID number already used) without storing them in the clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_PREFIX = "v1:"


class DecryptionError(ValueError):
    pass


@cache
def _keys(secret: str) -> tuple[bytes, bytes]:
    try:
        master = base64.b64decode(secret, validate=True)
    except ValueError as exc:  # binascii.Error is a ValueError
        raise ValueError("FIELD_ENCRYPTION_KEY must be base64") from exc
    if len(master) != 32:
        raise ValueError("FIELD_ENCRYPTION_KEY must decode to 32 bytes")

    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)

    return derive(b"culturecloud/aes-gcm"), derive(b"culturecloud/hmac")


def encrypt(plaintext: str, *, associated_data: bytes = b"") -> str:
    aes_key, _ = _keys(settings.FIELD_ENCRYPTION_KEY)
    nonce = os.urandom(12)
    sealed = AESGCM(aes_key).encrypt(nonce, plaintext.encode(), associated_data or None)
    return _PREFIX + base64.b64encode(nonce + sealed).decode()


def decrypt(token: str, *, associated_data: bytes = b"") -> str:
    if not token.startswith(_PREFIX):
        raise DecryptionError("unknown ciphertext version")
    aes_key, _ = _keys(settings.FIELD_ENCRYPTION_KEY)
    raw = base64.b64decode(token[len(_PREFIX) :])
    try:
        plain = AESGCM(aes_key).decrypt(raw[:12], raw[12:], associated_data or None)
    except Exception as exc:  # InvalidTag: tampered or wrong key
        raise DecryptionError("ciphertext failed authentication") from exc
    return plain.decode()


def keyed_digest(value: str, *, purpose: str) -> str:
    """Hex HMAC of `value`; `purpose` separates namespaces (phone, id_number, ...)."""
    _, mac_key = _keys(settings.FIELD_ENCRYPTION_KEY)
    return hmac.new(mac_key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def mask(value: str, *, keep_start: int, keep_end: int, fill: str = "*") -> str:
    """1101**********1234 style masking; short values are fully masked."""
    if len(value) <= keep_start + keep_end:
        return fill * len(value)
    return value[:keep_start] + fill * (len(value) - keep_start - keep_end) + value[-keep_end:]
