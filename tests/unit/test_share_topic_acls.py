"""Each receiving department's share topic (``share.<department>.v1``) and its ACLs: only that
department's principal reads it, only reporting writes it (docs/security.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from xuncha_shared import secrets
from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.topics import all_topics, share_topic, share_topics
from xuncha_shared.provision import acls

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]


def test_one_share_topic_per_department_named_as_the_issue_says() -> None:
    assert share_topic("discipline_commission") == "share.discipline_commission.v1"
    assert share_topics("p.") == [f"p.share.{d.value}.v1" for d in Department]
    assert set(share_topics("p.")) <= set(all_topics("p."))
    assert not any(t.endswith(".v1.dlq") and t.startswith("p.share.") for t in all_topics("p."))


def _allowed(principal: str, prefix: str = "p.") -> dict[tuple[int, str], set[int]]:
    table: dict[tuple[int, str], set[int]] = {}
    for acl in acls.all_service_acls(prefix):
        if acl.principal == f"User:{principal}":
            table.setdefault((acl.resource_type, acl.resource_name), set()).add(acl.operation)
    return table


@pytest.mark.parametrize("department", list(Department))
def test_a_department_reads_its_own_share_topic_only(department: Department) -> None:
    who = acls.department_principal(department)
    assert who == f"dept-{department.value}"
    allowed = _allowed(who)
    own = (acls.TOPIC, f"p.share.{department.value}.v1")
    assert allowed == {
        own: {acls.READ, acls.DESCRIBE},
        (acls.GROUP, f"p.share.{department.value}."): {acls.READ},
    }


def test_only_reporting_writes_the_share_topics() -> None:
    for topic in share_topics("p."):
        writers = {
            a.principal
            for a in acls.all_service_acls("p.")
            if a.resource_name == topic and a.operation == acls.WRITE
        }
        assert writers == {"User:reporting"}


def test_every_department_has_a_generated_kafka_password_and_a_scram_user() -> None:
    expected = {acls.department_principal(d) for d in Department}
    assert set(secrets.DEPARTMENT_PRINCIPALS) == expected
    assert expected <= set(secrets.KAFKA_PRINCIPALS)
    # deploy/local/kafka.sh creates a SCRAM user for each principal with a password
    script = (REPO / "deploy/local/kafka.sh").read_text("utf-8")
    line = re.search(r"^DEPARTMENT_USERS=\(([^)]*)\)", script, re.M)
    assert line is not None
    assert set(line.group(1).split()) == expected
