"""Secrets at rest: AES-GCM records bound to a team and a purpose.

A record is text, ``v1:<key id>:<nonce>:<ciphertext>`` (nonce and ciphertext
in url-safe base64). The key id is a short hash of the key, so a record says
which key of the keyring opens it and keys can rotate: the first key of the
keyring encrypts, every key decrypts. The associated data is the team id and
the purpose (``api_key``, ``bot_token``…), so a record copied to another
team, or from one field to another, does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from opsbot.config import ENCRYPTION_KEY_BYTES, Settings, SettingsError, parse_encryption_keys
from opsbot.store.keyspace import check_slack_id

logger = logging.getLogger(__name__)

RECORD_VERSION: Final = "v1"
KEY_FILE_NAME: Final = "encryption.key"
_NONCE_BYTES: Final = 12
_FINGERPRINT_CHARS: Final = 10
_FINGERPRINT_DOMAIN: Final = b"opsbot fingerprint v2\x00"
_VARIABLE: Final = "OPSBOT_ENCRYPTION_KEYS"
_PURPOSE = re.compile(r"[a-z0-9_.]{1,64}")


class VaultError(Exception):
    """A record cannot be opened; the message never holds the record or a key."""


class UnknownKeyError(VaultError):
    """The record was encrypted under a key that is not in the keyring."""


def key_id(key: bytes) -> str:
    """A short public name of a key: 8 hex digits of a hash, not enough to guess it."""
    return hashlib.sha256(b"opsbot key id\x00" + key).hexdigest()[:8]


class Keyring:
    """The encryption keys, first one current. Its repr shows key ids only."""

    def __init__(self, keys: tuple[bytes, ...]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        if any(len(key) != ENCRYPTION_KEY_BYTES for key in keys):
            raise ValueError(f"every key must be {ENCRYPTION_KEY_BYTES} bytes")
        # Insertion order keeps the current key first; a repeated key counts once.
        self._keys = {key_id(key): key for key in keys}
        self.current_id = key_id(keys[0])

    @classmethod
    def parse(cls, value: str, *, source: str = _VARIABLE) -> Keyring:
        """Read keys as ``opsbot keygen`` prints them, comma-separated."""
        keys = parse_encryption_keys(value, source=source)
        if not keys:
            raise SettingsError(f"{source} is empty: run `opsbot keygen` and set it to the output")
        return cls(keys)

    @classmethod
    def generate(cls) -> Keyring:
        return cls((secrets.token_bytes(ENCRYPTION_KEY_BYTES),))

    @property
    def current_key(self) -> bytes:
        return self._keys[self.current_id]

    def key(self, wanted_id: str) -> bytes:
        try:
            return self._keys[wanted_id]
        except KeyError:
            raise UnknownKeyError(
                f"this secret was encrypted with a key that is not in {_VARIABLE} "
                f"(key id {wanted_id}); add that key back to the list"
            ) from None

    def export(self) -> str:
        """The keyring in keygen's text form (for writing the key file only)."""
        return ",".join(_b64(key) for key in self._keys.values())

    def __repr__(self) -> str:
        return f"Keyring(current={self.current_id!r}, key_ids={list(self._keys)!r})"

    __str__ = __repr__


def load_keyring(settings: Settings, *, warn: Callable[[str], object] = logger.warning) -> Keyring:
    """The keyring from ``OPSBOT_ENCRYPTION_KEYS``, or the embedded store's own key file.

    A shared Redis (``REDIS_URL`` set) needs the same keyring in every
    process, so there it must be given. With the embedded store a key is
    generated once into the data dir, and ``warn`` is told about it once.
    """
    if settings.encryption_keys:
        return Keyring.parse(",".join(settings.encryption_keys))
    if settings.redis_url:
        raise SettingsError(
            f"{_VARIABLE} is required when REDIS_URL is set: run `opsbot keygen` and set "
            "it to the output, the same value in every opsbot process"
        )
    path = settings.data_dir / KEY_FILE_NAME
    if _create_key_file(path):
        warn(
            f"generated an encryption key in {path}; back it up, or set {_VARIABLE} "
            "(`opsbot keygen`) - without it the stored secrets cannot be read"
        )
    return Keyring.parse(path.read_text(encoding="ascii"), source=str(path))


def _create_key_file(path: Path) -> bool:
    """Write a fresh key to ``path`` (mode 0600) unless it exists; True if written.

    The key is written to a private temporary file first and then linked into
    place, so two processes starting at once agree on one key and neither
    ever reads a half-written file.
    """
    if path.exists():
        return False
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(Keyring.generate().export() + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        temporary.unlink(missing_ok=True)
    return True


def fingerprint(team_id: str, secret: str) -> str:
    """A short name for a secret, to tell one from another without showing it.

    It depends on the team and the secret only, never on the keyring, so it
    stays the same across ``opsbot rotate-keys`` and when the same key is
    set again, in ``/ops key status`` as in the audit stream. (Fingerprints
    of v1 were keyed by the current encryption key and changed with it; those
    already stored are kept as they are.)

    It cannot be reversed: an API key is 24 random characters of 36, about
    124 bits, of which 10 hex digits show at most 40. Anyone able to test a
    guess against it can test the same guess against the API itself, so a
    secret key for the hash would protect nothing, and any key tied to the
    keyring would change with it.
    """
    message = _associated_data(team_id, "fingerprint") + b"\x00" + secret.encode()
    digest = hashlib.sha256(_FINGERPRINT_DOMAIN + message).hexdigest()
    return digest[:_FINGERPRINT_CHARS]


class Vault:
    """Encrypts and decrypts secrets with a keyring. Its repr shows key ids only."""

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring

    @property
    def keyring(self) -> Keyring:
        return self._keyring

    def encrypt(self, team_id: str, purpose: str, plaintext: str) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        cipher = AESGCM(self._keyring.current_key)
        sealed = cipher.encrypt(nonce, plaintext.encode(), _associated_data(team_id, purpose))
        return ":".join((RECORD_VERSION, self._keyring.current_id, _b64(nonce), _b64(sealed)))

    def decrypt(self, team_id: str, purpose: str, record: str) -> str:
        kid, nonce, sealed = _split(record)
        cipher = AESGCM(self._keyring.key(kid))
        try:
            plaintext = cipher.decrypt(nonce, sealed, _associated_data(team_id, purpose))
        except InvalidTag:
            raise VaultError(
                f"a stored {purpose} of team {team_id} does not decrypt: it was altered, "
                "or it belongs to another team or field"
            ) from None
        return plaintext.decode()

    def needs_rotation(self, record: str) -> bool:
        """True when the record is not under the current (first) key."""
        kid, _, _ = _split(record)
        return kid != self._keyring.current_id

    def fingerprint(self, team_id: str, secret: str) -> str:
        """See :func:`fingerprint`: the same whatever the keyring."""
        return fingerprint(team_id, secret)

    def __repr__(self) -> str:
        return f"Vault({self._keyring!r})"

    __str__ = __repr__


def _associated_data(team_id: str, purpose: str) -> bytes:
    check_slack_id(team_id)
    if not _PURPOSE.fullmatch(purpose):
        raise ValueError("purpose must be lower-case letters, digits, '_' or '.'")
    # Neither part can hold ':', so the joined form is unambiguous.
    return f"opsbot:{RECORD_VERSION}:{team_id}:{purpose}".encode()


def _split(record: str) -> tuple[str, bytes, bytes]:
    parts = record.split(":") if isinstance(record, str) else []
    if len(parts) != 4 or parts[0] != RECORD_VERSION:
        raise VaultError(f"not an encrypted record of format {RECORD_VERSION}")
    try:
        nonce, sealed = _unb64(parts[2]), _unb64(parts[3])
    except (binascii.Error, ValueError):
        nonce = sealed = b""
    if len(nonce) != _NONCE_BYTES or not sealed:
        raise VaultError(f"not an encrypted record of format {RECORD_VERSION}")
    return parts[1], nonce, sealed


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), altchars=b"-_", validate=True)
