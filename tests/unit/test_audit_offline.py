"""Offline parts of the audit: export verification, hole classification, the story's
rendering and the Chinese names (no infrastructure)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

from xuncha_shared.audit.checkpoints import Signer, digest_of, sign_checkpoint
from xuncha_shared.audit.export import EXPORT_FORMAT, MANIFEST, export_row, render_manifest
from xuncha_shared.audit.export import verify_export as verify_export_dir
from xuncha_shared.audit.history import (
    ENCRYPTED,
    ERASED,
    Story,
    StoryEvent,
    redact,
    story_document,
    story_lines,
)
from xuncha_shared.audit.verify import ServiceAudit, classify_holes
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.contracts.clues import ClueEscalated
from xuncha_shared.contracts.common import SealedPersonalData
from xuncha_shared.contracts.intake import PetitionReceived
from xuncha_shared.contracts.names_zh import EVENT_NAMES_ZH, event_name_zh
from xuncha_shared.envelope import Actor, EventEnvelope, canonical_json
from xuncha_shared.eventstore import NewEvent

from tests.support.fakes import InMemoryEventStore

ACTOR = Actor(principal_id="wang", role="county_admin")
SEALED = SealedPersonalData(
    person_id=uuid.uuid4(), nonce="AAAAAAAAAAAAAAAA", ciphertext="c2VjcmV0LWNpcGhlcnRleHQ="
)


def _petition(informant: SealedPersonalData | None = None) -> NewEvent:
    return NewEvent(
        PetitionReceived(
            petition_id=uuid.uuid4(),
            jurisdiction="361002",
            unit="临川区某局",
            channel="letter",
            summary="反映问题",
            informant=informant,
            receipt_code_hash="0" * 64,
        ),
        "361002",
        ACTOR,
    )


def _history() -> list[EventEnvelope]:
    async def build() -> list[EventEnvelope]:
        store = InMemoryEventStore()
        for s in range(3):
            for v in range(3):
                await store.append("petition", f"case-{s}", v, [_petition()])
        return await store.read_all()

    return asyncio.run(build())


def _write_export(directory: Path, events: list[EventEnvelope], checkpoints: list[Any]) -> None:
    lines = b"".join(canonical_json(export_row(e.model_dump())) + b"\n" for e in events)
    (directory / "intake.jsonl").write_bytes(lines)
    heads: dict[str, dict[str, Any]] = {}
    for e in events:
        heads[e.stream_id] = {"version": e.stream_version, "hash": e.hash}
    manifest = {
        "format": EXPORT_FORMAT,
        "created_at": "2026-05-01T00:00:00.000000Z",
        "complete": True,
        "filter": {"services": ["intake"], "jurisdiction": None, "since": None, "until": None},
        "services": {
            "intake": {
                "database": "intake",
                "file": "intake.jsonl",
                "sha256": hashlib.sha256(lines).hexdigest(),
                "bytes": len(lines),
                "events": len(events),
                "streams": len(heads),
                "heads": heads,
                "cut_streams": {},
            }
        },
        "checkpoints": [c.document() for c in checkpoints],
    }
    (directory / MANIFEST).write_bytes(render_manifest(manifest))


def _export(tmp_path: Path) -> tuple[Path, Signer]:
    events = _history()
    signer = Signer.generate("intake")
    rows = [(e.tx_id or 0, e.global_position or 0, e.hash) for e in events]
    cp = sign_checkpoint(signer, database="intake", digest=digest_of(rows[:5]))
    _write_export(tmp_path, events, [cp])
    return tmp_path, signer


def test_offline_export_verifies(tmp_path: Path) -> None:
    directory, signer = _export(tmp_path)
    report = verify_export_dir(directory, {signer.key_id: signer.trusted_key()})
    assert report.intact, [str(p) for p in report.all_problems()]
    (intake,) = report.services
    assert (intake.streams, intake.events) == (3, 9)
    assert [c.status for c in intake.checkpoints] == ["verified"]


def test_offline_export_detects_a_changed_byte(tmp_path: Path) -> None:
    directory, signer = _export(tmp_path)
    path = directory / "intake.jsonl"
    data = bytearray(path.read_bytes())
    i = data.index("某局".encode())
    data[i : i + len("某局".encode())] = "其局".encode()
    path.write_bytes(bytes(data))
    report = verify_export_dir(directory, {signer.key_id: signer.trusted_key()})
    assert not report.intact
    kinds = {p.kind for p in report.all_problems()}
    assert kinds == {"export", "chain"}  # the file digest and the recomputed event hash
    chain = next(p for p in report.all_problems() if p.kind == "chain")
    assert (chain.stream_id, chain.stream_version) == ("case-0", 1)


def test_offline_export_detects_an_edited_manifest(tmp_path: Path) -> None:
    directory, signer = _export(tmp_path)
    raw = (directory / MANIFEST).read_bytes()
    (directory / MANIFEST).write_bytes(raw.replace(b'"complete": true', b'"complete":  true'))
    report = verify_export_dir(directory, {signer.key_id: signer.trusted_key()})
    assert any("manifest" in str(p) for p in report.all_problems())


def test_offline_export_detects_a_removed_line(tmp_path: Path) -> None:
    events = _history()
    del events[4]  # case-1 version 2
    _write_export(tmp_path, events, [])
    report = verify_export_dir(tmp_path, {})
    (problem,) = report.all_problems()
    assert (problem.stream_id, problem.stream_version) == ("case-1", 3)


def test_hole_classification() -> None:
    audit = ServiceAudit("intake", "intake")
    classify_holes(
        audit,
        [(3, 3), (7, 9), (20, 21)],
        trailing=(30, 31),
        kafka_positions={8: "event x (stream s version 2)"},
        failed_heads=[(21, "checkpoint of yesterday")],
        kafka_checked=True,
    )
    by_first = {h.first: h for h in audit.holes}
    assert not by_first[7].explained and "Kafka holds" in by_first[7].why
    assert not by_first[3].explained and "checkpoint of yesterday" in by_first[3].why
    assert not by_first[20].explained
    assert by_first[30].explained and "not committed" in by_first[30].why
    assert audit.hole_ranges == 4
    assert audit.problem_count == 3


def test_every_event_type_has_a_chinese_name() -> None:
    types = {m.event_type for m in REGISTRY.models()}
    assert types <= set(EVENT_NAMES_ZH), types - set(EVENT_NAMES_ZH)
    assert event_name_zh("clues.ClueEscalated") == "上报市委巡察办"
    assert event_name_zh("x.Unknown") == "x.Unknown"


def test_story_never_shows_ciphertext() -> None:
    payload = _petition(SEALED).payload.model_dump(mode="json")
    assert redact(payload)["informant"] == ENCRYPTED
    assert redact(payload, {SEALED.person_id})["informant"] == ERASED

    async def build() -> list[EventEnvelope]:
        store = InMemoryEventStore()
        first = await store.append("petition", "p-1", 0, [_petition(SEALED)])
        escalate = NewEvent(
            ClueEscalated(
                clue_id=uuid.uuid4(),
                from_jurisdiction="361002",
                to_jurisdiction="361000",
                reason="涉及市管干部",
            ),
            "361002",
            Actor(principal_id="li", role="city_admin"),
            correlation_id=first[0].correlation_id,
            causation_id=first[0].event_id,
        )
        return [*first, *(await store.append("clue", "c-1", 0, [escalate]))]

    events = asyncio.run(build())
    story = Story(
        "p-1", [StoryEvent("intake", events[0], True), StoryEvent("clues", events[1], False)]
    )
    text = "\n".join(story_lines(story))
    assert SEALED.ciphertext not in text
    assert ENCRYPTED in text
    for expected in (
        "收到信访举报",
        "上报市委巡察办",
        "临川区委巡察办",  # the county office by its county, as 案件历史's page names it
        "市委巡察办",
        "涉及市管干部",
        "起因：第 1 条",
        "抚州市(361000)",
    ):
        assert expected in text, expected
    assert json.dumps(redact(events[0].payload)).count("ciphertext") == 0
    # the JSON 案件历史 reads: each event's fields in Chinese beside its payload, as redacted
    doc = story_document(story)
    received, escalated = doc["events"]
    assert SEALED.ciphertext not in json.dumps(doc, ensure_ascii=False)
    assert f"举报人：{ENCRYPTED}" in received["details_zh"]
    assert escalated["details_zh"] == "原辖区：临川区(361002)；上报至：抚州市(361000)"
    assert escalated["reasons_zh"] == "涉及市管干部"
    assert received["reasons_zh"] == ""


def test_a_payloads_nested_parts_and_sources_read_in_chinese() -> None:
    """What 案件历史 (and its workbook) shows of a clue: the persons it concerns field by field,
    its source channel by name; never a Python dict or an English code."""
    from xuncha_shared.audit.payload_text import payload_details

    shown = payload_details(
        {
            "summary": "反映某局问题",
            "source_channel": "survey",
            "persons": [{"cadre_level": "section", "city_managed": False}],
        }
    )
    assert shown == (
        "摘要：反映某局问题；来源渠道：民主测评/民主评议/问卷调查；"
        "涉及人员：（干部层级：科级干部，市管干部：否）"
    )
    assert payload_details({"source_channel": "online"}) == "来源渠道：网络举报"


def test_a_due_date_is_named_by_the_deadline_its_event_is_about() -> None:
    """A ``due_date`` is the last day of a different deadline in each event: a department's
    overdue result is not a rectification deadline (案件历史 and its workbook say which)."""
    from xuncha_shared.audit.payload_text import payload_details

    overdue = {"department": "discipline_commission", "due_date": "2026-11-11"}
    shown = payload_details(overdue, None, "clues.TransferResultOverdue")
    assert shown == "部门：纪委监委；办理结果期限：2026-11-11"
    assert "整改报告期限：2026-11-11" in payload_details(
        {"due_date": "2026-11-11"}, None, "rectification.IssueFedBack"
    )
    # an event with no label of its own for it: a plain 期限, never a wrong one
    assert payload_details({"due_date": "2026-11-11"}) == "期限：2026-11-11"


def test_a_plans_tasks_are_told_and_a_tasks_events_name_it() -> None:
    """制定整改任务 tells each task (measure, owner, type, due date; not its ids), and a task's
    later events name it by its measure (``case_names.task_names``) beside its id."""
    from xuncha_shared.audit.payload_text import payload_details, task_names

    task = "0a1b2c3d-0000-4000-8000-000000000001"
    planned = {
        "issue_id": "0a1b2c3d-0000-4000-8000-0000000000ff",
        "plan_id": "0a1b2c3d-0000-4000-8000-0000000000ee",
        "tasks": [{"task_id": task, "issue_id": "0a1b2c3d-0000-4000-8000-0000000000ff",
                   "measure": "建立整改台账", "owner": "办公室", "type": "time_bound",
                   "due_on": "2027-01-25"}],
    }  # fmt: skip
    assert payload_details(planned, None, "rectification.IssuePlanned") == (
        "整改任务：（整改措施：建立整改台账，责任人：办公室，整改类型：限期整改，完成时限：2027-01-25）"
    )
    names = task_names([planned, {"task_id": task}])
    assert names == {task: "建立整改台账"}
    done = payload_details({"task_id": task, "attempt": 1}, names)
    assert done.startswith(f"整改任务：建立整改台账（{task}）") and "第几次整改：1" in done


def test_a_deadlines_rule_is_named_by_its_title() -> None:
    """期限规则 reads as the rule's title with its id beside it, not as a code alone."""
    from xuncha_shared.audit.payload_text import payload_details
    from xuncha_shared.clocks.rules import RULES

    title = RULES.versions("xunshi_2015_art29")[-1].title_zh
    shown = payload_details({"rule_id": "xunshi_2015_art29", "rule_version": 1})
    assert shown.startswith(f"期限规则：{title}（xunshi_2015_art29）")
    assert payload_details({"rule_id": "no_such_rule"}) == "期限规则：no_such_rule"
