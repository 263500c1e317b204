"""R23, a real-name reporter's identity kept for a period after the case is disposed: the
deployment's period, the deadline's key, the erasure it records and the data key it destroys
(the kind itself, ``RETENTION``, is in ``adapters.deadlines`` with the service's other kinds)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID

from xuncha_shared.clocks import Deadline
from xuncha_shared.clocks.rules import R23_INFORMANT_RETENTION, RULES, RuleBook
from xuncha_shared.contracts import intake as c
from xuncha_shared.crypto import PostgresKeyStore, UnknownPersonError

log = logging.getLogger(__name__)

#: the deployment's retention period in calendar months (unset: the rule's amount, 24)
RETENTION_ENV = "XUNCHA_INFORMANT_RETENTION_MONTHS"
#: the shortest period accepted: the result notice (R8, 15 working days from the disposal) and
#: the reporter's questions about it need the identity after the disposal
RETENTION_MIN_MONTHS = 3
RETENTION_MAX_MONTHS = 240
#: what an erasure by the retention rule cites: the shortest retention necessary (Art. 19) and
#: deletion once the retention period has ended (Art. 47 para. 1 item 2); the period is local
RETENTION_LEGAL_BASIS = "《中华人民共和国个人信息保护法》第十九条、第四十七条第一款第（二）项"


def retention_months(environ: Mapping[str, str] | None = None) -> int | None:
    """The deployment's retention period (``XUNCHA_INFORMANT_RETENTION_MONTHS``), ``None`` when
    unset (the rule's own amount applies). A value that is not a whole number of months from
    ``RETENTION_MIN_MONTHS`` to ``RETENTION_MAX_MONTHS`` stops the service at start-up."""
    raw = (os.environ if environ is None else environ).get(RETENTION_ENV, "").strip()
    if not raw:
        return None
    try:
        months = int(raw)
    except ValueError:
        months = -1
    if not RETENTION_MIN_MONTHS <= months <= RETENTION_MAX_MONTHS:
        raise ValueError(
            f"{RETENTION_ENV}={raw!r}: a whole number of months from {RETENTION_MIN_MONTHS} "
            f"to {RETENTION_MAX_MONTHS}"
        )
    return months


def rule_book(environ: Mapping[str, str] | None = None) -> RuleBook:
    """The rules as this deployment runs them: R23's period replaced by the configured one
    (what ``GET /api/v1/rules`` lists)."""
    months = retention_months(environ)
    if months is None:
        return RULES
    return RuleBook(
        replace(rule, amount=months) if rule.id == R23_INFORMANT_RETENTION else rule
        for rule_id in RULES.ids()
        for rule in RULES.versions(rule_id)
    )


def retention_key(petition_id: object, person_id: object) -> str:
    """The key of a petition's R23 deadline: the petition, then the sealed identity's id."""
    return f"{petition_id}/informant/{person_id}"


def retention_person(d: Deadline) -> UUID:
    """The sealed identity's id (``person_id``) an R23 deadline erases."""
    petition_id, word, person_id = d.key.split("/")
    if word != "informant" or petition_id != d.aggregate_id:
        raise ValueError(f"not a retention key: {d.key!r}")
    return UUID(person_id)


def retention_erasure(d: Deadline) -> c.InformantIdentityErased:
    """The event of an R23 erasure: which sealed identity, why and under which rule; nothing
    of the person."""
    return c.InformantIdentityErased(
        petition_id=UUID(d.aggregate_id),
        person_id=retention_person(d),
        trigger=c.ErasureTrigger.RETENTION,
        reason=(
            f"线索办结（{d.started_on.isoformat()}）后举报人身份保存期限至"
            f"{d.due_date.isoformat()}届满，自动销毁（{d.rule_id} v{d.rule_version}） / the "
            f"retention period after the case's disposal ended on {d.due_date.isoformat()}"
        ),
        legal_basis=RETENTION_LEGAL_BASIS,
    )


async def erase_retained_key(conn: Any, d: Deadline) -> None:
    """The R23 kind's effect, in the worker's transaction before the erasure event: destroy the
    person's data key (the vault's erase; it needs no KEK). A key already gone, or never stored,
    leaves nothing to destroy: the erasure is recorded all the same."""
    person_id = retention_person(d)
    try:
        erased = await PostgresKeyStore().erase(person_id, conn=conn)
    except UnknownPersonError:
        erased = False
    if not erased:
        log.warning("retention: the data key of %s (petition %s) was gone", person_id, d.key)


def retention_start(rules: RuleBook, disposed_on: date) -> date:
    """The day R23 counts from: the disposal, or the day the rule's first version took effect
    for a case disposed before it (the law then in force asked nothing of the period)."""
    first = rules.versions(R23_INFORMANT_RETENTION)[0].effective_from
    return max(disposed_on, first)
