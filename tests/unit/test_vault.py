"""The vault seals secrets to a team and a purpose, and its keys can rotate."""

from __future__ import annotations

import base64
import secrets
import stat
from pathlib import Path

import pytest

from opsbot.config import Settings, SettingsError
from opsbot.store.vault import (
    KEY_FILE_NAME,
    Keyring,
    UnknownKeyError,
    Vault,
    VaultError,
    fingerprint,
    key_id,
    load_keyring,
)

API_KEY = "Gx7pQ2rT9vW4yZ1bC6dF8hJ3"


def keygen_output() -> str:
    """What `opsbot keygen` prints."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def vault() -> Vault:
    return Vault(Keyring.generate())


def test_a_record_opens_for_its_team_and_purpose(vault: Vault) -> None:
    record = vault.encrypt("T0123", "api_key", API_KEY)
    assert vault.decrypt("T0123", "api_key", record) == API_KEY


def test_a_record_is_versioned_names_its_key_and_hides_the_secret(vault: Vault) -> None:
    record = vault.encrypt("T0123", "api_key", API_KEY)
    version, kid, _, _ = record.split(":")
    assert (version, kid) == ("v1", vault.keyring.current_id)
    assert API_KEY not in record


def test_each_record_gets_its_own_nonce(vault: Vault) -> None:
    first = vault.encrypt("T0123", "api_key", API_KEY)
    second = vault.encrypt("T0123", "api_key", API_KEY)
    assert first.split(":")[2] != second.split(":")[2]


def test_a_record_moved_to_another_team_does_not_open(vault: Vault) -> None:
    record = vault.encrypt("T0123", "api_key", API_KEY)
    with pytest.raises(VaultError, match="another team or field"):
        vault.decrypt("T0456", "api_key", record)


def test_a_record_moved_to_another_purpose_does_not_open(vault: Vault) -> None:
    record = vault.encrypt("T0123", "api_key", API_KEY)
    with pytest.raises(VaultError):
        vault.decrypt("T0123", "bot_token", record)


def test_a_tampered_record_does_not_open(vault: Vault) -> None:
    version, kid, nonce, sealed = vault.encrypt("T0123", "api_key", API_KEY).split(":")
    raw = bytearray(base64.urlsafe_b64decode(sealed))
    raw[0] ^= 1
    tampered = ":".join((version, kid, nonce, base64.urlsafe_b64encode(raw).decode()))
    with pytest.raises(VaultError):
        vault.decrypt("T0123", "api_key", tampered)


@pytest.mark.parametrize("record", ["", "v1:abc", "v2:a:b:c", "v1:kid:!!:??", "plain text"])
def test_something_that_is_not_a_record_is_refused(vault: Vault, record: str) -> None:
    with pytest.raises(VaultError, match="not an encrypted record"):
        vault.decrypt("T0123", "api_key", record)


def test_after_rotation_old_records_still_open_and_new_ones_use_the_first_key() -> None:
    old, new = keygen_output(), keygen_output()
    before = Vault(Keyring.parse(old))
    after = Vault(Keyring.parse(f"{new},{old}"))
    old_record = before.encrypt("T0123", "api_key", API_KEY)

    assert after.decrypt("T0123", "api_key", old_record) == API_KEY
    assert after.needs_rotation(old_record)
    new_record = after.encrypt("T0123", "api_key", API_KEY)
    assert not after.needs_rotation(new_record)
    assert new_record.split(":")[1] == key_id(base64.urlsafe_b64decode(new))


def test_a_record_under_a_missing_key_names_the_key_id_and_the_setting() -> None:
    record = Vault(Keyring.generate()).encrypt("T0123", "api_key", API_KEY)
    kid = record.split(":")[1]
    with pytest.raises(UnknownKeyError) as error:
        Vault(Keyring.generate()).decrypt("T0123", "api_key", record)
    assert "not in OPSBOT_ENCRYPTION_KEYS" in str(error.value)
    assert f"key id {kid}" in str(error.value)


@pytest.mark.parametrize(
    "value",
    [
        "not-a-key",
        base64.urlsafe_b64encode(b"short").decode(),
        "s3cr3t-value-with-no-meaning-at-all-000000000",
        f"{keygen_output()},oops%%%",
    ],
)
def test_a_malformed_keyring_is_named_without_echoing_it(value: str) -> None:
    with pytest.raises(SettingsError) as error:
        Keyring.parse(value)
    message = str(error.value)
    assert message.startswith("OPSBOT_ENCRYPTION_KEYS must hold")
    assert "`opsbot keygen`" in message
    for part in value.split(","):
        assert part not in message


def test_an_empty_keyring_says_how_to_make_one() -> None:
    with pytest.raises(SettingsError, match="opsbot keygen"):
        Keyring.parse(" , ")


def test_keys_never_show_in_repr_or_str() -> None:
    text = keygen_output()
    keyring = Keyring.parse(text)
    shown = [repr(keyring), str(keyring), repr(Vault(keyring)), str(Vault(keyring))]
    raw = base64.urlsafe_b64decode(text)
    for rendering in shown:
        assert text not in rendering
        assert repr(raw) not in rendering
        assert keyring.current_id in rendering


def test_a_fingerprint_tells_keys_and_teams_apart_without_showing_the_key(vault: Vault) -> None:
    fingerprint = vault.fingerprint("T0123", API_KEY)
    assert len(fingerprint) == 10
    assert fingerprint == vault.fingerprint("T0123", API_KEY)
    assert fingerprint != vault.fingerprint("T0123", API_KEY[:-1] + "X")
    assert fingerprint != vault.fingerprint("T0456", API_KEY)
    assert fingerprint not in API_KEY


def test_a_fingerprint_does_not_depend_on_the_keyring() -> None:
    # Rotation puts a new key first and may drop the old one: the same API
    # key must keep the name the audit stream and /ops key status know it by.
    old, new = Keyring.generate(), Keyring.generate()
    rotated = Keyring((new.current_key, old.current_key))
    names = {Vault(ring).fingerprint("T0123", API_KEY) for ring in (old, new, rotated)}
    assert names == {fingerprint("T0123", API_KEY)}
    assert fingerprint("T0456", API_KEY) != fingerprint("T0123", API_KEY)


@pytest.mark.parametrize("team_id", ["", "t0123", "T01}:x", "T0 1", "T0123\n", "É1"])
def test_a_malformed_team_id_is_refused(vault: Vault, team_id: str) -> None:
    with pytest.raises(ValueError, match="team id"):
        vault.encrypt(team_id, "api_key", API_KEY)


def test_the_keyring_comes_from_the_setting_first(tmp_path: Path) -> None:
    text = keygen_output()
    warnings: list[str] = []
    settings = Settings(data_dir=tmp_path, encryption_keys=(text,))
    keyring = load_keyring(settings, warn=warnings.append)
    assert keyring.current_id == key_id(base64.urlsafe_b64decode(text))
    assert warnings == []
    assert not (tmp_path / KEY_FILE_NAME).exists()


def test_the_embedded_store_generates_a_private_key_file_once_and_says_so_once(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    warnings: list[str] = []

    first = load_keyring(settings, warn=warnings.append)
    second = load_keyring(settings, warn=warnings.append)

    key_file = tmp_path / "data" / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.current_id == second.current_id
    assert len(warnings) == 1
    assert str(key_file) in warnings[0]
    assert "OPSBOT_ENCRYPTION_KEYS" in warnings[0]
    assert key_file.read_text().strip() not in warnings[0]
    assert sorted(path.name for path in key_file.parent.iterdir()) == [KEY_FILE_NAME]


def test_a_corrupt_key_file_is_named(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE_NAME).write_text("garbage\n")
    with pytest.raises(SettingsError) as error:
        load_keyring(Settings(data_dir=tmp_path), warn=lambda _: None)
    assert str(error.value).startswith(f"{tmp_path / KEY_FILE_NAME} must hold")
    assert "garbage" not in str(error.value)


def test_a_shared_redis_needs_an_explicit_keyring(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, redis_url="redis://redis.internal:6379/0")
    with pytest.raises(SettingsError, match="OPSBOT_ENCRYPTION_KEYS is required when REDIS_URL"):
        load_keyring(settings, warn=lambda _: None)
    assert not (tmp_path / KEY_FILE_NAME).exists()
