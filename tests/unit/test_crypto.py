"""Informant protection (R11) with an in-memory key store: sealing, tampering, erasure, KEKs."""

from __future__ import annotations

import base64
import json
import logging
import os
import uuid

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import ValidationError
from xuncha_shared import crypto
from xuncha_shared.contracts.common import SealedPersonalData
from xuncha_shared.crypto import (
    DEV_KEK,
    PAD_BLOCK,
    InformantVault,
    InMemoryKeyStore,
    KeyErasedError,
    KeyStore,
    StoredKey,
    TamperedDataError,
    UnknownKekError,
    UnknownPersonError,
    generate_kek,
    kek_id,
    load_kek,
    parse_kek,
    unwrap_key,
)
from xuncha_shared.domain.personal_data import (
    InformantIdentity,
    prc_id_check_char,
    validate_prc_id,
)
from xuncha_shared.settings import Settings

pytestmark = pytest.mark.unit

# the well-known sample number of GB 11643 (check character X)
SAMPLE_ID = "11010519491231002X"

ZHANG = InformantIdentity(
    name="张三丰",
    phone="13912345678",
    id_number=SAMPLE_ID,
    address="安徽省滁州市琅琊区某某路 8 号",
    employer="某某局",
)


@pytest.fixture
def kek() -> bytes:
    return os.urandom(32)


@pytest.fixture
def keys() -> InMemoryKeyStore:
    return InMemoryKeyStore()


@pytest.fixture
def vault(keys: InMemoryKeyStore, kek: bytes) -> InformantVault:
    return InformantVault(keys, kek)


def flip(b64: str, index: int = 0) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


# --- identity -----------------------------------------------------------------------------------


def test_prc_id_validation() -> None:
    assert prc_id_check_char(SAMPLE_ID[:17]) == "X"
    assert validate_prc_id(SAMPLE_ID.lower()) == SAMPLE_ID
    first17 = "34110219900307123"
    valid = first17 + prc_id_check_char(first17)
    assert validate_prc_id(valid) == valid
    wrong_check = first17 + ("0" if valid[-1] != "0" else "1")
    for bad, why in [
        (wrong_check, "check character"),
        ("341102199002301234", "birth date"),  # 30 February
        ("34110218800101123", "17 digits"),
        ("3411021990030712XX", "17 digits"),
    ]:
        with pytest.raises(ValueError, match=why):
            validate_prc_id(bad)


def test_identity_validation() -> None:
    assert InformantIdentity(name="  李四 ").name == "李四"
    assert InformantIdentity(name="王五", phone="(0550) 123-4567").phone == "(0550) 123-4567"
    with pytest.raises(ValidationError):
        InformantIdentity(name="")
    with pytest.raises(ValidationError):
        InformantIdentity(name="王五", phone="call me")
    with pytest.raises(ValidationError):
        InformantIdentity(name="王五", id_number="123")
    with pytest.raises(ValidationError):
        InformantIdentity(name="王五", email="a@b.c")  # type: ignore[call-arg]


def test_identity_never_prints_personal_data() -> None:
    for text in (repr(ZHANG), str(ZHANG), f"{ZHANG}"):
        assert "张三丰" not in text
        assert "13912345678" not in text


# --- sealing ------------------------------------------------------------------------------------


async def test_seal_open_round_trip(vault: InformantVault, keys: InMemoryKeyStore) -> None:
    sealed = await vault.seal(ZHANG)
    assert isinstance(sealed, SealedPersonalData)
    assert sealed.alg == "AES-256-GCM"
    assert sealed.person_id.version == 7
    assert len(base64.b64decode(sealed.nonce)) == 12
    assert sealed.person_id in keys.keys
    assert await vault.open(sealed) == ZHANG
    minimal = InformantIdentity(name="赵六")
    assert await vault.open(await vault.seal(minimal)) == minimal


async def test_each_seal_has_its_own_person_key_and_nonce(vault: InformantVault) -> None:
    a = await vault.seal(ZHANG)
    b = await vault.seal(ZHANG)
    assert a.person_id != b.person_id
    assert a.nonce != b.nonce
    assert a.ciphertext != b.ciphertext


async def test_sealed_json_holds_no_plaintext(vault: InformantVault) -> None:
    sealed = await vault.seal(ZHANG)
    wire = sealed.model_dump_json()
    decoded = base64.b64decode(sealed.ciphertext)
    for secret in ("张三丰", "13912345678", SAMPLE_ID, "琅琊区", "某某局"):
        assert secret not in wire
        assert secret not in json.dumps(json.loads(wire), ensure_ascii=False)
        assert secret.encode() not in decoded
    # the sealed document has exactly the contract's fields
    assert set(json.loads(wire)) == {"person_id", "alg", "nonce", "ciphertext"}


async def test_ciphertext_length_is_padded(vault: InformantVault) -> None:
    short = await vault.seal(InformantIdentity(name="李"))
    longer = await vault.seal(InformantIdentity(name="欧阳" * 10, phone="13800000000"))
    for sealed in (short, longer):
        assert (len(base64.b64decode(sealed.ciphertext)) - 16) % PAD_BLOCK == 0
    assert len(short.ciphertext) == len(longer.ciphertext)


async def test_an_auditor_can_reimplement_the_scheme(
    vault: InformantVault, keys: InMemoryKeyStore, kek: bytes
) -> None:
    sealed = await vault.seal(ZHANG)
    stored = keys.keys[sealed.person_id]
    assert stored.wrapped_key is not None
    wrapped = stored.wrapped_key
    data_key = AESGCM(kek).decrypt(
        wrapped[:12], wrapped[12:], b"xuncha/informant-key/v1" + sealed.person_id.bytes
    )
    plaintext = AESGCM(data_key).decrypt(
        base64.b64decode(sealed.nonce),
        base64.b64decode(sealed.ciphertext),
        sealed.person_id.bytes,
    )
    assert json.loads(plaintext) == ZHANG.model_dump(exclude_none=True)


# --- tampering ----------------------------------------------------------------------------------


async def test_tampered_ciphertext_fails(vault: InformantVault) -> None:
    sealed = await vault.seal(ZHANG)
    for index in (0, 10, -1):
        forged = sealed.model_copy(update={"ciphertext": flip(sealed.ciphertext, index)})
        with pytest.raises(TamperedDataError):
            await vault.open(forged)
    with pytest.raises(TamperedDataError):
        await vault.open(sealed.model_copy(update={"nonce": flip(sealed.nonce)}))
    with pytest.raises(TamperedDataError):
        await vault.open(sealed.model_copy(update={"ciphertext": "not base64!"}))
    with pytest.raises(TamperedDataError):
        await vault.open(sealed.model_copy(update={"nonce": base64.b64encode(b"short").decode()}))


async def test_ciphertext_bound_to_its_person(vault: InformantVault) -> None:
    a = await vault.seal(ZHANG)
    b = await vault.seal(InformantIdentity(name="李四"))
    # a's ciphertext presented under b's id (and key) does not open
    swapped = b.model_copy(update={"nonce": a.nonce, "ciphertext": a.ciphertext})
    with pytest.raises(TamperedDataError):
        await vault.open(swapped)


async def test_wrapped_key_bound_to_its_person(
    vault: InformantVault, keys: InMemoryKeyStore
) -> None:
    a = await vault.seal(ZHANG)
    b = await vault.seal(InformantIdentity(name="李四"))
    # copy a's wrapped key into b's row: unwrapping fails, not "opens with a's key"
    stored_a, stored_b = keys.keys[a.person_id], keys.keys[b.person_id]
    keys.keys[b.person_id] = StoredKey(b.person_id, stored_a.wrapped_key, stored_b.kek_id, None)
    with pytest.raises(TamperedDataError):
        await vault.open(b)


# --- erasure ------------------------------------------------------------------------------------


async def test_erased_key_cannot_open(vault: InformantVault, keys: InMemoryKeyStore) -> None:
    sealed = await vault.seal(ZHANG)
    other = await vault.seal(InformantIdentity(name="李四"))
    assert not await vault.is_erased(sealed.person_id)
    assert await vault.erase(sealed.person_id) is True
    assert await vault.erase(sealed.person_id) is False  # idempotent
    assert await vault.is_erased(sealed.person_id)
    assert keys.keys[sealed.person_id].wrapped_key is None
    with pytest.raises(KeyErasedError):
        await vault.open(sealed)
    assert (await vault.open(other)).name == "李四"  # only that person is shredded


async def test_unknown_person(vault: InformantVault) -> None:
    sealed = await vault.seal(ZHANG)
    stranger = sealed.model_copy(update={"person_id": uuid.uuid4()})
    with pytest.raises(UnknownPersonError):
        await vault.open(stranger)
    with pytest.raises(UnknownPersonError):
        await vault.erase(stranger.person_id)


# --- KEKs ---------------------------------------------------------------------------------------


async def test_another_kek_cannot_open(keys: InMemoryKeyStore, kek: bytes) -> None:
    sealed = await InformantVault(keys, kek).seal(ZHANG)
    with pytest.raises(UnknownKekError):
        await InformantVault(keys, os.urandom(32)).open(sealed)


async def test_kek_rotation_keeps_old_keys_readable(keys: InMemoryKeyStore, kek: bytes) -> None:
    old = await InformantVault(keys, kek).seal(ZHANG)
    rotated = InformantVault(keys, os.urandom(32), previous_keks=[kek])
    new = await rotated.seal(InformantIdentity(name="李四"))
    assert await rotated.open(old) == ZHANG
    assert (await rotated.open(new)).name == "李四"
    assert keys.keys[new.person_id].kek_id == rotated.kek_id != kek_id(kek)


def test_unwrap_with_the_wrong_kek_fails(kek: bytes) -> None:
    person = uuid.uuid4()
    wrapped = crypto.wrap_key(kek, person, os.urandom(32))
    assert len(wrapped) == 12 + 32 + 16
    with pytest.raises(TamperedDataError):
        unwrap_key(os.urandom(32), person, wrapped)


def test_kek_parsing_and_ids() -> None:
    value = generate_kek()
    kek = parse_kek(value)
    assert len(kek) == 32
    assert load_kek(Settings(kek=value)) == kek
    assert kek_id(kek) == kek_id(kek)
    assert kek_id(kek).startswith("kek-")
    assert kek_id(DEV_KEK).startswith("dev-")
    assert value not in kek_id(kek)
    with pytest.raises(ValueError, match="32 bytes"):
        parse_kek(base64.b64encode(b"short").decode())
    with pytest.raises(ValueError, match="base64"):
        parse_kek("not base64 at all!")


def test_dev_kek_is_used_and_warned_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(crypto, "_dev_warning_logged", False)
    caplog.set_level(logging.WARNING, logger="xuncha_shared.crypto")
    assert load_kek(Settings(kek=None)) == DEV_KEK
    assert load_kek(Settings(kek="")) == DEV_KEK
    warnings = [r for r in caplog.records if "XUNCHA_KEK" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING


def test_in_memory_store_is_a_key_store() -> None:
    assert isinstance(InMemoryKeyStore(), KeyStore)
    assert isinstance(crypto.PostgresKeyStore(None), KeyStore)
