"""Checkpoint digest, document, signature and keys (no infrastructure)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from xuncha_shared.audit.checkpoints import (
    EMPTY_DIGEST,
    Checkpoint,
    CheckpointFormatError,
    DigestCursor,
    HistoryDigest,
    Signer,
    SigningKeyError,
    TrustedKey,
    dev_signer,
    digest_of,
    load_checkpoint_files,
    load_signer,
    load_trust,
    merge_sources,
    sign_checkpoint,
    signature_problem,
    trust_document,
)
from xuncha_shared.eventstore.base import Position
from xuncha_shared.settings import Settings

ROWS = [(100, 1, "a" * 64), (100, 2, "b" * 64), (105, 4, "c" * 64), (107, 3, "d" * 64)]


def test_digest_is_sha256_over_lines_in_commit_order() -> None:
    digest = digest_of(ROWS)
    text = "".join(f"{tx} {pos} {h}\n" for tx, pos, h in ROWS)
    assert digest.hexdigest() == hashlib.sha256(text.encode()).hexdigest()
    assert digest.count == 4
    assert digest.head == Position(107, 3)
    assert HistoryDigest().hexdigest() == EMPTY_DIGEST == hashlib.sha256(b"").hexdigest()


def test_digest_cursor_settles_every_head_in_one_pass() -> None:
    heads = [Position(100, 2), Position(0, 0), Position(107, 3), Position(106, 9)]
    cursor = DigestCursor(heads)
    for row in ROWS:
        cursor.add(*row)
    results = cursor.finish()
    assert results[Position(0, 0)] == (0, EMPTY_DIGEST)
    assert results[Position(100, 2)] == (2, digest_of(ROWS[:2]).hexdigest())
    assert results[Position(106, 9)] == (3, digest_of(ROWS[:3]).hexdigest())
    assert results[Position(107, 3)] == (4, digest_of(ROWS).hexdigest())


def test_continuing_a_digest_equals_a_full_one() -> None:
    base = digest_of(ROWS[:2])
    more = base.copy()
    for row in ROWS[2:]:
        more.add(*row)
    assert more.hexdigest() == digest_of(ROWS).hexdigest()
    assert base.count == 2  # the copy did not touch the base


def _checkpoint(signer: Signer) -> Checkpoint:
    return sign_checkpoint(signer, database="intake", digest=digest_of(ROWS))


def test_signed_checkpoint_verifies_with_an_outside_library() -> None:
    signer = Signer.generate("intake")
    cp = _checkpoint(signer)
    doc = json.loads(cp.to_json())
    signature = base64.b64decode(doc.pop("signature"))
    message = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    # what an outside verifier does: the raw public key and the canonical JSON of the rest
    Ed25519PublicKey.from_public_bytes(signer.public_raw).verify(signature, message)
    assert doc["key_id"] == "intake-" + hashlib.sha256(signer.public_raw).hexdigest()[:16]
    assert doc["head"] == {"tx_id": 107, "global_position": 3}
    assert doc["event_count"] == 4
    assert signature_problem(cp, {signer.key_id: signer.trusted_key()}) is None


def test_any_changed_field_breaks_the_signature() -> None:
    signer = Signer.generate("intake")
    trust = {signer.key_id: signer.trusted_key()}
    cp = _checkpoint(signer)
    doc = cp.document()
    for field, value in [
        ("digest", "0" * 64),
        ("event_count", 5),
        ("head", {"tx_id": 107, "global_position": 4}),
        ("created_at", "2020-01-01T00:00:00.000000Z"),
        ("database", "other"),
    ]:
        altered = Checkpoint.from_document({**doc, field: value})
        problem = signature_problem(altered, trust)
        assert problem is not None
        assert "altered" in problem


def test_untrusted_and_wrong_service_keys_are_refused() -> None:
    signer = Signer.generate("intake")
    cp = _checkpoint(signer)
    assert "not trusted" in str(signature_problem(cp, {}))
    foreign = TrustedKey("clues", signer.public_raw)
    # a key trusted only for clues cannot vouch for intake (its key id differs, too)
    assert signature_problem(cp, {foreign.key_id: foreign}) is not None
    forged = {cp.key_id: TrustedKey("clues", signer.public_raw)}
    assert "not intake" in str(signature_problem(cp, forged))


def test_malformed_documents_are_rejected() -> None:
    doc = _checkpoint(Signer.generate("intake")).document()
    with pytest.raises(CheckpointFormatError):
        Checkpoint.from_document({**doc, "extra": 1})
    with pytest.raises(CheckpointFormatError):
        Checkpoint.from_document({**doc, "format": "other/9"})
    with pytest.raises(CheckpointFormatError):
        Checkpoint.from_document({**doc, "event_count": "4"})
    with pytest.raises(CheckpointFormatError):
        Checkpoint.from_json("not json")
    assert Checkpoint.from_json(json.dumps(doc)) == Checkpoint.from_document(doc)


def test_dev_keys_are_generated_once_private_and_trusted(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    first = dev_signer("clues", keys)
    again = dev_signer("clues", keys)
    assert first.key_id == again.key_id
    assert stat.S_IMODE((keys / "clues.ed25519").stat().st_mode) == 0o600
    assert base64.b64decode((keys / "clues.pub").read_text()) == first.public_raw
    trusted = load_trust(None, Settings(state_dir=str(tmp_path)))
    assert list(trusted) == [first.key_id]
    assert trusted[first.key_id].service == "clues"


def test_signing_key_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = Settings(state_dir=str(tmp_path))
    key = base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("XUNCHA_SIGNING_KEY_CLUES", key)
    monkeypatch.delenv("XUNCHA_SIGNING_KEY", raising=False)
    signer = load_signer("clues", settings)
    assert signer.private_base64() == key
    assert signer.origin == "XUNCHA_SIGNING_KEY_CLUES"
    # the generic variable belongs to the service's own process only
    monkeypatch.setenv("XUNCHA_SIGNING_KEY", key)
    monkeypatch.delenv("XUNCHA_SERVICE", raising=False)
    assert load_signer("intake", settings).origin.endswith("intake.ed25519")
    assert load_signer("intake", settings, own_process=True).origin == "XUNCHA_SIGNING_KEY"
    monkeypatch.setenv("XUNCHA_SIGNING_KEY_CLUES", "not base64!")
    with pytest.raises(SigningKeyError):
        load_signer("clues", settings)
    monkeypatch.setenv("XUNCHA_SIGNING_KEY_CLUES", base64.b64encode(b"short").decode())
    with pytest.raises(SigningKeyError):
        load_signer("clues", settings)


def test_trust_file_round_trip_and_key_id_check(tmp_path: Path) -> None:
    signers = [Signer.generate(s) for s in ("intake", "clues")]
    path = tmp_path / "trusted.json"
    path.write_text(json.dumps(trust_document(s.trusted_key() for s in signers)))
    trusted = load_trust(path)
    assert set(trusted) == {s.key_id for s in signers}
    doc = json.loads(path.read_text())
    doc["keys"][0]["key_id"] = "intake-0000000000000000"
    path.write_text(json.dumps(doc))
    with pytest.raises(CheckpointFormatError):
        load_trust(path)


def test_checkpoint_files_and_merged_sources(tmp_path: Path) -> None:
    signer = Signer.generate("intake")
    a = _checkpoint(signer)
    b = sign_checkpoint(signer, database="intake", digest=digest_of(ROWS[:2]))
    single = tmp_path / "a.json"
    single.write_text(json.dumps(a.document(), indent=2))
    several = tmp_path / "ab.json"
    several.write_text(json.dumps([a.document(), b.document()]))
    lines = tmp_path / "b.jsonl"
    lines.write_text(b.to_json() + "\n")
    loaded = load_checkpoint_files([single, several, lines])
    merged = merge_sources(loaded, [(a, "table")])
    assert [m.checkpoint for m in merged] == [b, a]  # ordered by head
    assert merged[1].sources == [f"file:{single}", f"file:{several}", "table"]
