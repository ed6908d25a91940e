"""The stored form of a phone number (keyed hash, ciphertext, masked) for bulk rows.

Exactly what `accounts.services.create_user_with_phone` writes, built from the same
helpers, so that `find_user_by_phone`, `user_phone` and log-in work on bulk rows too
(tests check the round trip).
"""

from __future__ import annotations

from culturecloud.accounts import services as accounts
from culturecloud.accounts.sms import mask_phone
from culturecloud.core.crypto import encrypt


def phone_columns(phone: str) -> tuple[str, str, str]:
    """(phone_digest, phone_encrypted, phone_masked) of a normalized number."""
    return (
        accounts.phone_digest(phone),
        encrypt(phone, associated_data=accounts._phone_ad()),
        mask_phone(phone),
    )
