"""Production mode refuses development secrets, naming each problem (xuncha_shared.production)."""

from __future__ import annotations

import base64

import pytest
from xuncha_shared import production
from xuncha_shared.crypto import DEV_KEK, generate_kek
from xuncha_shared.settings import Settings

STRONG = "d0c5e1b2a39f4e6b8c7d5a4f3e2b1c0d9e8f7a6b"
GOOD = {
    "env": "production",
    "service": "intake",
    "kek": generate_kek(),
    "receipt_key": generate_kek(),
    "database_url": f"postgresql://intake:{STRONG}@db:5432/intake",
    "kafka_security_protocol": "SASL_SSL",
    "kafka_username": "intake",
    "kafka_password": STRONG,
}


@pytest.fixture(autouse=True)
def _signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XUNCHA_SIGNING_KEY", base64.b64encode(b"k" * 32).decode())
    monkeypatch.setenv("XUNCHA_SECRETS_DIR", "/nonexistent-xuncha-secrets")


def settings(**changes: object) -> Settings:
    values = {**GOOD, **changes}
    return Settings(**{k: v for k, v in values.items() if v is not None})


def test_complete_production_settings_have_no_problem() -> None:
    assert production.settings_problems(settings()) == []
    production.refuse_unsafe_settings(settings())  # does not raise


def test_the_development_kek_is_refused() -> None:
    dev = base64.b64encode(DEV_KEK).decode()
    with pytest.raises(production.UnsafeProductionStart) as refused:
        production.refuse_unsafe_settings(settings(kek=dev))
    assert refused.value.problems == ["XUNCHA_KEK is the built-in development key (public)"]
    assert "development key" in str(refused.value.code)


def test_a_missing_or_malformed_kek_is_refused() -> None:
    assert "XUNCHA_KEK is missing" in production.settings_problems(settings(kek=None))[0]
    assert "XUNCHA_KEK is invalid" in production.settings_problems(settings(kek="abc"))[0]


@pytest.mark.parametrize(
    ("password", "why"),
    [("intake", "role name"), ("postgres", "well-known"), ("CHANGEME", "well-known")],
)
def test_weak_database_passwords_are_refused(password: str, why: str) -> None:
    url = f"postgresql://intake:{password}@db:5432/intake"
    problems = production.settings_problems(settings(database_url=url))
    assert len(problems) == 1 and "XUNCHA_DATABASE_URL" in problems[0] and why in problems[0]


def test_the_auditor_and_admin_passwords_are_checked() -> None:
    reporting = settings(service="reporting", database_url=GOOD["database_url"])
    assert any("xuncha_auditor" in p for p in production.settings_problems(reporting))
    admin = settings(pg_admin_url="postgresql://postgres:postgres@db/postgres")
    assert any("XUNCHA_PG_ADMIN_URL" in p for p in production.settings_problems(admin))


def test_a_generated_signing_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XUNCHA_SIGNING_KEY")
    problems = production.settings_problems(settings())
    assert problems == [
        "the checkpoint signing key would be generated: "
        "set XUNCHA_SIGNING_KEY_INTAKE or XUNCHA_SIGNING_KEY"
    ]


def test_kafka_without_authentication_is_refused() -> None:
    plain = settings(kafka_security_protocol="PLAINTEXT", kafka_username=None)
    assert any("Kafka without authentication" in p for p in production.settings_problems(plain))
    weak = settings(kafka_password="intake")
    assert any("principal intake" in p for p in production.settings_problems(weak))


def test_intake_without_a_receipt_key_is_refused() -> None:
    with pytest.raises(production.UnsafeProductionStart) as refused:
        production.refuse_unsafe_settings(settings(receipt_key=None))
    [problem] = refused.value.problems
    assert "XUNCHA_RECEIPT_KEY is missing" in problem
    short = base64.b64encode(b"k" * 16).decode()
    [problem] = production.settings_problems(settings(receipt_key=short))
    assert "XUNCHA_RECEIPT_KEY is invalid" in problem and "32 bytes" in problem
    # only intake keys receipts
    assert production.settings_problems(settings(service="clues", receipt_key=None)) == []


def test_every_problem_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XUNCHA_SIGNING_KEY")
    bad = settings(
        kek=None,
        receipt_key=None,
        database_url="postgresql://intake:intake@db/intake",
        kafka_username=None,
    )
    with pytest.raises(production.UnsafeProductionStart) as refused:
        production.refuse_unsafe_settings(bad)
    assert len(refused.value.problems) == 5


def test_development_only_warns() -> None:
    dev = settings(env="development", kek=None)
    production.refuse_unsafe_settings(dev)  # does not raise
    assert production.settings_problems(dev)  # but the problems are known


def test_production_never_reads_local_secret_files(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "secrets"
    folder.mkdir()
    (folder / "kek").write_text(generate_kek() + "\n")
    (folder / "receipt-key").write_text(generate_kek() + "\n")
    monkeypatch.setenv("XUNCHA_SECRETS_DIR", str(folder))
    assert Settings(env="development").kek is not None
    assert Settings(env="development").receipt_key is not None
    assert Settings(env="production").kek is None
    assert Settings(env="production").receipt_key is None
