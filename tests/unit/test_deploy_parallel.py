"""docker-compose.yml cannot run on these machines (no Docker engine), so it is checked here
against what does run: deploy/local (the same processes, variables, ports and roles) and the
settings' defaults. A change to one path that the other does not follow fails here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from xuncha_shared.http.config import HttpSettings
from xuncha_shared.settings import DEFAULT_PORTS, SERVICES, Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
SERVICES_SH = (ROOT / "deploy/local/services.sh").read_text("utf-8")
INITDB_SH = (ROOT / "deploy/compose/initdb.sh").read_text("utf-8")
KAFKA_POM = (ROOT / "deploy/local/kafka/pom.xml").read_text("utf-8")

#: variables deploy/local sets that have no meaning inside a container (or differ on purpose)
#: (containers log to stdout, the engine's log driver rotates: no XUNCHA_LOG_FILE there)
LOCAL_ONLY: frozenset[str] = frozenset(
    {"XUNCHA_READY_TIMEOUT", "XUNCHA_AUDITOR_PASSWORD", "XUNCHA_LOG_FILE"}
)


def setting_names() -> set[str]:
    """The environment variables ``Settings`` reads (``XUNCHA_`` + field name or alias)."""
    names = {f"XUNCHA_{field.upper()}" for field in HttpSettings.model_fields}
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        names.add(f"XUNCHA_{(alias if isinstance(alias, str) else field).upper()}")
    return names


def _service(name: str) -> dict[str, Any]:
    service: dict[str, Any] = COMPOSE["services"][name]
    return service


def _env(name: str) -> dict[str, str]:
    return {k: str(v) for k, v in _service(name).get("environment", {}).items()}


def test_compose_runs_the_same_processes_as_make_up() -> None:
    names = set(COMPOSE["services"])
    assert set(SERVICES) <= names
    assert {"postgres", "kafka", "provision"} <= names
    assert _service("provision")["command"] == ["python", "-m", "xuncha_shared.provision", "all"]


@pytest.mark.parametrize("svc", SERVICES)
def test_each_service_gets_the_variables_ports_and_state_of_the_local_path(svc: str) -> None:
    service = _service(svc)
    env = _env(svc)
    port = DEFAULT_PORTS[svc]
    assert service["command"] == [f"xuncha-{svc}"]
    assert env["XUNCHA_SERVICE"] == svc
    # its own role, with the generated password of the environment (never the role name)
    password = f"${{XUNCHA_PG_PASSWORD_{svc.upper()}:?see the header}}"
    assert env["XUNCHA_DATABASE_URL"] == f"postgresql://{svc}:{password}@postgres:5432/{svc}"
    # its own Kafka principal, authenticated (SASL/SCRAM), and the KEK from the environment
    assert env["XUNCHA_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
    assert env["XUNCHA_KAFKA_USERNAME"] == svc
    assert (
        env["XUNCHA_KAFKA_PASSWORD"] == f"${{XUNCHA_KAFKA_PASSWORD_{svc.upper()}:?see the header}}"
    )
    assert env["XUNCHA_KEK"] == "${XUNCHA_KEK:?see the header}"
    assert env["XUNCHA_HTTP_PORT"] == str(port)
    assert env["XUNCHA_KAFKA_BOOTSTRAP"] == "${XUNCHA_COMPOSE_KAFKA_BOOTSTRAP:-kafka:9092}"
    assert service["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert f"127.0.0.1:{port}/readyz" in " ".join(service["healthcheck"]["test"])
    assert "xuncha-state:/var/lib/xuncha" in service["volumes"]
    assert env["XUNCHA_STATE_DIR"] == "/var/lib/xuncha"
    assert service["depends_on"]["provision"]["condition"] == "service_completed_successfully"
    # every variable deploy/local/services.sh gives a service, compose gives it too
    local = set(re.findall(r"\b(XUNCHA_[A-Z_]+)=", SERVICES_SH)) - LOCAL_ONLY
    assert local, "no XUNCHA_ variables found in deploy/local/services.sh"
    if svc != "reporting":
        local.discard("XUNCHA_AUDIT_DATABASE_URL")
    missing = sorted(local - set(env))
    assert not missing, f"{svc}: set by deploy/local, missing in docker-compose.yml: {missing}"
    unknown = sorted(n for n in env if n.startswith("XUNCHA_") and n not in setting_names())
    assert not unknown, f"{svc}: docker-compose.yml sets what no setting reads: {unknown}"


def test_only_reporting_reads_as_the_auditor_role() -> None:
    for svc in SERVICES:
        url = _env(svc).get("XUNCHA_AUDIT_DATABASE_URL")
        if svc == "reporting":
            assert url == (
                "postgresql://xuncha_auditor:${XUNCHA_PG_PASSWORD_XUNCHA_AUDITOR:?see the header}"
                "@postgres:5432/reporting"
            )
        else:
            assert url is None, svc
    assert 'if [[ "$svc" == reporting ]]' in SERVICES_SH
    assert "xuncha_auditor" in SERVICES_SH


def test_the_first_boot_creates_the_same_roles_and_databases() -> None:
    loop = re.search(r"for svc in ([a-z ]+); do", INITDB_SH)
    assert loop is not None
    assert loop.group(1).split() == list(SERVICES)
    assert "CREATE ROLE xuncha_auditor" in INITDB_SH
    assert "PASSWORD '$svc'" not in INITDB_SH  # never the role name
    assert 'GRANT CONNECT ON DATABASE "$svc" TO xuncha_auditor' in INITDB_SH


def test_kafka_is_the_same_version_and_keeps_everything() -> None:
    local = re.search(r"<kafka.version>([\d.]+)</kafka.version>", KAFKA_POM)
    assert local is not None
    assert _service("kafka")["image"] == f"apache/kafka:{local.group(1)}"
    env = _env("kafka")
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"  # topics are provisioned
    assert env["KAFKA_LOG_RETENTION_MS"] == "-1"
    # authentication and ACLs as deploy/local/kafka/server.properties.template
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert "PLAINTEXT:PLAINTEXT" not in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]
    assert _service("kafka")["ports"] == ["127.0.0.1:19092:19092"]
    assert _service("postgres")["ports"] == ["127.0.0.1:15432:5432"]


def test_kafka_has_the_local_broker_s_idle_settings() -> None:
    """The settings that keep an idle broker's threads few and quiet (docs/performance.md, "An
    idle deployment") are the same in the compose broker as in the local one."""
    template = (ROOT / "deploy/local/kafka/server.properties.template").read_text("utf-8")
    local = dict(
        line.split("=", 1) for line in template.splitlines() if line and not line.startswith("#")
    )
    env = _env("kafka")
    for key in (
        "num.network.threads",
        "listener.name.controller.num.network.threads",
        "num.io.threads",
        "group.coordinator.threads",
        "metadata.max.idle.interval.ms",
    ):
        assert env["KAFKA_" + key.upper().replace(".", "_")] == local[key], key


def test_declared_volumes_exist() -> None:
    declared = set(COMPOSE["volumes"])
    for name, service in COMPOSE["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name}: volume {source} is not declared"


# --- the file's own consistency (what `docker compose config` would refuse) ---------------------

PG_SH = (ROOT / "deploy/local/pg.sh").read_text("utf-8")
DOCKERFILES = [ROOT / "Dockerfile", ROOT / "deploy/compose/workbench.Dockerfile"]
#: a pinned tag: a version with at least major.minor (``15.14-bookworm``, ``v2.53.4``), or a digest
PINNED = re.compile(r"^[\w./-]+(:v?\d+\.\d+[\w.-]*|@sha256:[0-9a-f]{64})$")


def test_every_image_is_pinned_to_a_version() -> None:
    images = {name: s["image"] for name, s in COMPOSE["services"].items() if "image" in s}
    built = {name for name, s in COMPOSE["services"].items() if "build" in s}
    for name, image in images.items():
        if name in built or image in ("xuncha:local", "xuncha-workbench:local"):
            continue  # built here from the pinned Dockerfiles below
        assert PINNED.match(image), f"{name}: image {image} is not pinned to a version"
    for dockerfile in DOCKERFILES:
        for line in dockerfile.read_text("utf-8").splitlines():
            if line.startswith("FROM "):
                image = line.split()[1]
                assert PINNED.match(image), f"{dockerfile.name}: {image} is not pinned"
    assert not PINNED.match("postgres:15") and not PINNED.match("nginx:latest")


def test_references_resolve() -> None:
    services = COMPOSE["services"]
    declared_secrets = set(COMPOSE.get("secrets", {}))
    anchors_ok = {"xuncha-env", "xuncha-service"}
    assert {k[2:] for k in COMPOSE if k.startswith("x-")} <= anchors_ok
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        for dependency, condition in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            assert condition["condition"] in (
                "service_started",
                "service_healthy",
                "service_completed_successfully",
            )
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck"
            # a service of the default set cannot wait for one of an optional profile
            if not service.get("profiles"):
                assert not services[dependency].get("profiles"), f"{name} -> {dependency}"
        for secret in service.get("secrets", []):
            assert secret in declared_secrets, f"{name}: secret {secret} is not declared"
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name}: {port} listens beyond loopback"
    for secret in COMPOSE.get("secrets", {}).values():
        assert set(secret) == {"environment"}  # from the environment, never a file in the repo


def test_no_development_secret_in_the_file() -> None:
    text = (ROOT / "docker-compose.yml").read_text("utf-8")
    # every password, the KEK and the metrics token come from the environment, required
    for var in re.findall(
        r"\$\{(XUNCHA_(?:PG_PASSWORD|KAFKA_PASSWORD)_[A-Z_]+|XUNCHA_KEK|"
        r"XUNCHA_METRICS_TOKEN)([^}]*)\}",
        text,
    ):
        assert var[1] == ":?see the header", f"{var[0]} has a default: {var[1]}"
    # no literal password anywhere (only variables and the shell's format placeholders)
    assert not re.findall(r'password="(?![$%])', text)
    assert not re.findall(r"PASSWORD\w*: (?![$])", text)
    env_script = (ROOT / "deploy/compose/env-from-secrets.sh").read_text("utf-8")
    for name in ("XUNCHA_KEK", "XUNCHA_METRICS_TOKEN", "XUNCHA_PG_PASSWORD_", "XUNCHA_KAFKA_"):
        assert name in env_script


def test_postgres_has_the_tuning_of_the_local_path() -> None:
    block = PG_SH.split('xuncha.conf" >/dev/null <<EOF', 1)[1].split("\nEOF", 1)[0]
    local = {}
    for line in block.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = (part.strip() for part in line.split("=", 1))
            local[key] = value.strip("'")
    for where in ("listen_addresses", "port", "unix_socket_directories", "log_line_prefix"):
        local.pop(where)  # where it listens and how it prefixes its own log: the container's
    command = _service("postgres")["command"]
    compose = dict(re.findall(r"-c (\w+)=(\S+)", command))
    assert compose == local


def test_first_tokens_is_a_one_shot_after_provision() -> None:
    service = _service("first-tokens")
    assert service["restart"] == "no"
    assert service["depends_on"]["provision"]["condition"] == "service_completed_successfully"
    script = service["command"][0]
    assert "xuncha tokens create --role city_admin" in script
    assert "first-tokens.created" in script  # once: a marker in the state volume
    assert "http://127.0.0.1:8080/" in script


def test_metrics_profile_scrapes_the_four_services_with_the_rules() -> None:
    prometheus, collector = _service("prometheus"), _service("otel-collector")
    assert prometheus["profiles"] == ["metrics"] and collector["profiles"] == ["metrics"]
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus-compose.yml").read_text())
    [job] = config["scrape_configs"]
    targets = job["static_configs"][0]["targets"]
    assert sorted(targets) == sorted(f"{svc}:{DEFAULT_PORTS[svc]}" for svc in SERVICES)
    assert job["authorization"]["credentials_file"] == "/run/secrets/metrics_token"
    local = (ROOT / "deploy/prometheus/prometheus.yml.template").read_text("utf-8")
    assert "@TARGETS@" in local and "@RULES@" in local
    rules = yaml.safe_load((ROOT / "deploy/prometheus/rules.yml").read_text("utf-8"))
    alerts = {r["alert"]: r["expr"] for g in rules["groups"] for r in g["rules"]}
    assert "xuncha_relay_lag_events" in alerts["XunchaRelayLag"]
    assert "xuncha_consumer_lag_messages" in alerts["XunchaConsumerLag"]
    assert "xuncha_dead_letters_total" in alerts["XunchaDeadLetters"]
    assert "xuncha_audit_verify_intact" in alerts["XunchaAuditVerifyFailed"]
    collector_config = yaml.safe_load((ROOT / "deploy/otel/collector.yaml").read_text("utf-8"))
    assert "otlp" in collector_config["receivers"]


def _env_file(path: str) -> dict[str, str]:
    lines = (ROOT / path).read_text("utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_the_kafka3_profile_is_the_three_brokers_of_make_up() -> None:
    """docker compose --profile kafka3 --env-file deploy/compose/kafka3.env: three KRaft nodes
    as `make up KAFKA_BROKERS=3` (deploy/local/kafka.sh), replicated as provision expects."""
    from xuncha_shared.provision.kafka import REPLICATED_TOPIC_CONFIGS, topic_layout

    settings = _env_file("deploy/compose/kafka3.env")
    nodes = ["kafka", "kafka-2", "kafka-3"]
    for n, name in enumerate(nodes, start=1):
        service = _service(name)
        env = _env(name)
        assert env.get("KAFKA_NODE_ID", "1") == str(n)
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert env["KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE"] == "false"
        voters = env["KAFKA_CONTROLLER_QUORUM_VOTERS"]
        assert voters == "${XUNCHA_COMPOSE_KAFKA_VOTERS:-1@kafka:9093}"
        assert env["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
        assert service["ports"] == [f"127.0.0.1:{19091 + n}:{19091 + n}"]
        assert (name == "kafka") == ("profiles" not in service)
    assert settings["XUNCHA_COMPOSE_KAFKA_VOTERS"] == ",".join(
        f"{n}@{name}:9093" for n, name in enumerate(nodes, start=1)
    )
    assert settings["XUNCHA_COMPOSE_KAFKA_BOOTSTRAP"] == ",".join(f"{n}:9092" for n in nodes)
    replication, configs = topic_layout(int(settings["XUNCHA_COMPOSE_KAFKA_BROKERS"]))
    assert settings["XUNCHA_COMPOSE_KAFKA_REPLICATION"] == str(replication) == "3"
    assert settings["XUNCHA_COMPOSE_KAFKA_MIN_ISR"] == configs["min.insync.replicas"]
    assert configs["unclean.leader.election.enable"] == "false"
    assert REPLICATED_TOPIC_CONFIGS["min.insync.replicas"] == "2"
    provision = _env("provision")
    assert provision["XUNCHA_KAFKA_BROKERS"] == "${XUNCHA_COMPOSE_KAFKA_BROKERS:-1}"
    # the local deployment's three brokers (rendered by deploy/local/kafka-properties.sh for
    # kafka.sh): the same replication and elections
    rendered = (ROOT / "deploy/local/kafka-properties.sh").read_text("utf-8")
    for line in ("min.insync.replicas=2", "unclean.leader.election.enable=false"):
        assert line in rendered
