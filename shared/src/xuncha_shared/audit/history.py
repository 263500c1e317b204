"""``xuncha audit history``: one case's whole story, across the services, readable.

The story of a stream is its own events plus every event, in any service database, linked to it
by ``correlation_id`` (the case's chain of cause) or ``causation_id`` (directly caused by, or
causing, an event of the story), searched until nothing new is found. Informants' personal data
is never shown: payloads only hold ciphertext, replaced by "举报人信息已加密".

Reads of a reporter's identity (``intake.InformantIdentityRead``) are events of the petition's
stream like any other; the story also lists them together at the end ("who looked": when, who,
the outcome and the stated reason), so an auditor sees every disclosure at a glance.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from xuncha_shared.audit.access import Connector, url_connector
from xuncha_shared.audit.export import SHANGHAI
from xuncha_shared.audit.payload_text import payload_details, payload_reasons, task_names
from xuncha_shared.contracts.names_zh import (
    SERVICE_NAMES_ZH,
    STREAM_TYPES_ZH,
    VALUE_LABELS_ZH,
    event_name_zh,
)
from xuncha_shared.domain.jurisdictions import is_county, name_of
from xuncha_shared.domain.principals import ROLE_LABELS_ZH, Role
from xuncha_shared.envelope import EventEnvelope, format_ts
from xuncha_shared.eventstore.postgres import ENVELOPE_COLUMNS, envelope_from_record
from xuncha_shared.settings import SERVICES, Settings

ENCRYPTED = "举报人信息已加密"
ERASED = "举报人信息已加密（密钥已销毁）"
IDENTITY_READ = "intake.InformantIdentityRead"
MAX_ROUNDS = 8
MAX_EVENTS = 10_000


class StreamNotFoundError(LookupError):
    pass


@dataclass
class StoryEvent:
    service: str
    envelope: EventEnvelope
    in_stream: bool


@dataclass
class Story:
    stream_id: str
    events: list[StoryEvent] = field(default_factory=list)
    erased_persons: set[UUID] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    #: the names of the tasks (by their measure, from the case's plan events) and of the rounds,
    #: groups and units its events name by id (``{id: name}``), when the teller knows them
    #: (reporting's documents): shown beside each id
    names: dict[str, str] = field(default_factory=dict)

    @property
    def correlation_ids(self) -> list[UUID]:
        seen: dict[UUID, None] = {}
        for e in self.events:
            seen.setdefault(e.envelope.correlation_id)
        return list(seen)


def role_label(role: str) -> str:
    if role == "system":
        return "系统"
    with contextlib.suppress(ValueError):
        return ROLE_LABELS_ZH[Role(role)]
    return role


#: what the system's own writers did, in the history's words (by the actor's principal id:
#: a consumer's group, or the deadline workers' ``system``)
SYSTEM_ACTORS_ZH: dict[str, str] = {
    "service:clues.register-from-petitions": "系统（据信访件自动登记）",
    "service:clues.register-from-records": "系统（据巡察组了解情况记录自动登记）",
    "service:intake.result-notices": "系统（据线索办结记录告知期限）",
    "system": "系统（期限到期自动记录）",
}


def actor_name_zh(
    principal_id: str,
    role: str,
    jurisdiction: str | None = None,
    payload: dict[str, Any] | None = None,
    unit: str | None = None,
) -> str:
    """Who recorded an event: the system by what it did, a person by role and sign-in id; a
    county office by its county (临川区委巡察办: it acts in its own county only, the event's
    ``jurisdiction``); a receiving department by the department it acted for, which its event
    names (``payload``'s ``department``: 纪委监委); an inspected unit by its name (``unit``:
    its sign-in acts for its own unit only, the one the event's stream is about)."""
    if principal_id in SYSTEM_ACTORS_ZH:
        return SYSTEM_ACTORS_ZH[principal_id]
    if role == "system":
        return "系统"
    place = (jurisdiction or "").strip()
    if role == "county_admin" and place and is_county(place):
        return f"{name_of(place)}委巡察办（{principal_id}）"
    if role == "department" and payload:
        department = VALUE_LABELS_ZH["department"].get(str(payload.get("department")))
        if department:
            return f"{department}（{principal_id}）"
    if role == "inspected_unit" and unit:
        return f"{unit}（{principal_id}）"
    return f"{role_label(role)}（{principal_id}）"


def stream_units(story: Story) -> dict[str, str]:
    """The inspected unit each stream of the story is about, by the name its events give it
    (an issue's feedback, a plan, a revisit …; the first name a stream gives)."""
    units: dict[str, str] = {}
    for item in story.events:
        e = item.envelope
        name = e.payload.get("unit")
        if isinstance(name, str) and name.strip():
            units.setdefault(e.stream_id, name.strip())
    return units


def event_actor_zh(e: EventEnvelope, units: dict[str, str]) -> str:
    """``actor_name_zh`` of an event of a story (``units``: ``stream_units`` of it)."""
    return actor_name_zh(
        e.actor.principal_id, e.actor.role, e.jurisdiction, e.payload, units.get(e.stream_id)
    )


def local_time(value: datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def redact(value: Any, erased: set[UUID] | None = None) -> Any:
    """The value with every sealed personal-data object replaced by a notice."""
    if isinstance(value, dict):
        if "ciphertext" in value:
            with contextlib.suppress(ValueError, TypeError):
                if erased and UUID(str(value.get("person_id"))) in erased:
                    return ERASED
            return ENCRYPTED
        return {k: redact(v, erased) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, erased) for v in value]
    return value


def _person_ids(value: Any) -> Iterable[UUID]:
    if isinstance(value, dict):
        if "ciphertext" in value:
            with contextlib.suppress(ValueError, TypeError):
                yield UUID(str(value.get("person_id")))
            return
        for v in value.values():
            yield from _person_ids(v)
    elif isinstance(value, list):
        for v in value:
            yield from _person_ids(v)


_STREAM_SQL = f"SELECT {ENVELOPE_COLUMNS} FROM events WHERE stream_id = $1 ORDER BY stream_version"
_LINKED_SQL = f"""
SELECT {ENVELOPE_COLUMNS} FROM events
WHERE correlation_id = ANY($1::uuid[]) OR causation_id = ANY($2::uuid[])
   OR event_id = ANY($3::uuid[])
ORDER BY global_position
LIMIT $4
"""


async def build_story(
    settings: Settings,
    stream_id: str,
    *,
    services: Sequence[str] = SERVICES,
    search: Sequence[str] = SERVICES,
    connector: Connector | None = None,
) -> Story:
    """Find ``stream_id`` in ``services`` and its linked events in every database of
    ``search`` (reached through ``connector``; default: the CLI's
    ``settings.service_database_url``)."""
    open_connection = connector or url_connector(settings.service_database_url)
    story = Story(stream_id)
    conns: dict[str, asyncpg.Connection] = {}
    opened = contextlib.AsyncExitStack()
    try:
        for service in dict.fromkeys([*services, *search]):
            try:
                conns[service] = await opened.enter_async_context(open_connection(service))
            except (OSError, asyncpg.PostgresError) as exc:
                story.notes.append(
                    f"{SERVICE_NAMES_ZH.get(service, service)}：暂时无法连接，未检索（{exc}）"
                )
        known: dict[UUID, StoryEvent] = {}
        for service in services:
            if service in conns:
                for row in await conns[service].fetch(_STREAM_SQL, stream_id):
                    e = envelope_from_record(row)
                    known[e.event_id] = StoryEvent(service, e, True)
        if not known:
            raise StreamNotFoundError(f"no stream {stream_id!r} in {', '.join(services)}")
        for _ in range(MAX_ROUNDS):
            correlation = list({e.envelope.correlation_id for e in known.values()})
            ids = list(known)
            causes = list(
                {
                    e.envelope.causation_id
                    for e in known.values()
                    if e.envelope.causation_id and e.envelope.causation_id not in known
                }
            )
            added = 0
            for service in search:
                if service not in conns:
                    continue
                rows = await conns[service].fetch(_LINKED_SQL, correlation, ids, causes, MAX_EVENTS)
                for row in rows:
                    e = envelope_from_record(row)
                    if e.event_id not in known:
                        known[e.event_id] = StoryEvent(service, e, e.stream_id == stream_id)
                        added += 1
            if not added or len(known) >= MAX_EVENTS:
                break
        persons = {p for e in known.values() for p in _person_ids(e.envelope.payload)}
        if persons and "intake" in conns:
            try:
                rows = await conns["intake"].fetch(
                    "SELECT person_id FROM informant_keys WHERE person_id = ANY($1::uuid[]) "
                    "AND erased_at IS NOT NULL",
                    list(persons),
                )
                story.erased_persons = {UUID(str(r["person_id"])) for r in rows}
            except asyncpg.InsufficientPrivilegeError:
                # the auditor role may not read informant_keys: erasures cannot be told apart
                story.notes.append(
                    f"本账号无权查看举报人密钥登记（informant_keys），已销毁的举报人身份同样显示为"
                    f"“{ENCRYPTED}”"
                )
            except asyncpg.PostgresError:
                pass
    finally:
        await opened.aclose()
    order = {s: i for i, s in enumerate(SERVICES)}
    story.events = sorted(
        known.values(),
        key=lambda e: (
            e.envelope.recorded_at,
            order.get(e.service, 99),
            e.envelope.global_position or 0,
        ),
    )
    story.names = task_names(e.envelope.payload for e in story.events)
    return story


def identity_reads(story: Story) -> list[tuple[int, StoryEvent]]:
    """The story's reads of a reporter identity, with their index in the story (from 1)."""
    return [
        (i, item)
        for i, item in enumerate(story.events, 1)
        if item.envelope.event_type == IDENTITY_READ
    ]


def outcome_zh(payload: dict[str, Any]) -> str:
    """An identity read's result in Chinese (已披露给查阅人, 密钥已销毁，未能查阅)."""
    outcome = str(payload.get("outcome", ""))
    return VALUE_LABELS_ZH.get("outcome", {}).get(outcome, outcome)


def _identity_read_lines(story: Story) -> list[str]:
    reads = identity_reads(story)
    if not reads:
        return []
    lines = ["", f"举报人身份查阅记录（谁看过）：共 {len(reads)} 次"]
    for i, item in reads:
        e = item.envelope
        lines.append(
            f"  第 {i} 条  {local_time(e.occurred_at)}  {e.actor.principal_id}"
            f"（{role_label(e.actor.role)}）  结果：{outcome_zh(e.payload)}"
            f"  理由：{e.payload.get('reason', '')}"
        )
    return lines


#: the columns of a case history's sheet (``story_rows``)
STORY_HEADERS: tuple[str, ...] = (
    "序号", "时间（北京时间）", "本案/关联", "事件", "服务", "操作人", "辖区",
    "事件流", "版本", "全局位置", "内容", "原因", "起因（序号）", "事件编号", "事件类型",
    "操作编号",
)  # fmt: skip


def story_rows(story: Story) -> list[list[Any]]:
    """The story as the rows of a sheet (``STORY_HEADERS``): what ``story_lines`` says of each
    event, a column each, payloads redacted."""
    index = {e.envelope.event_id: i for i, e in enumerate(story.events, 1)}
    units = stream_units(story)
    rows: list[list[Any]] = []
    for i, item in enumerate(story.events, 1):
        e = item.envelope
        payload = redact(e.payload, story.erased_persons)
        rows.append(
            [
                i,
                local_time(e.recorded_at),
                "本案" if item.in_stream else "关联",
                event_name_zh(e.event_type),
                SERVICE_NAMES_ZH.get(item.service, item.service),
                event_actor_zh(e, units),
                f"{name_of(e.jurisdiction.strip())}({e.jurisdiction.strip()})",
                f"{STREAM_TYPES_ZH.get(e.stream_type, e.stream_type)} {e.stream_id}",
                e.stream_version,
                e.global_position,
                payload_details(payload, story.names, e.event_type),
                payload_reasons(payload),
                index.get(e.causation_id) if e.causation_id else None,
                str(e.event_id),
                e.event_type,
                # one per operation (a request, a consumer's reaction): the events one
                # operation wrote share it, as the summary's 操作编号 lists them
                str(e.correlation_id),
            ]
        )
    return rows


def story_lines(story: Story) -> list[str]:
    """The story as readable lines (Chinese labels, Beijing time)."""
    index = {e.envelope.event_id: i for i, e in enumerate(story.events, 1)}
    services = list(dict.fromkeys(e.service for e in story.events))
    units = stream_units(story)
    lines = [
        f"案件经过：{story.stream_id}",
        "操作编号：" + "、".join(str(c) for c in story.correlation_ids),
        f"共 {len(story.events)} 个事件，涉及 {'、'.join(services)}"
        "（时间为北京时间；* 为本流程事件）",
        "",
    ]
    for i, item in enumerate(story.events, 1):
        e = item.envelope
        mark = "*" if item.in_stream else " "
        stream_type = STREAM_TYPES_ZH.get(e.stream_type, e.stream_type)
        lines.append(f"{mark}{i:>3}. {local_time(e.recorded_at)}  {event_name_zh(e.event_type)}")
        lines.append(
            f"      事件：{e.event_type} · {item.service} · {stream_type} {e.stream_id} 第 "
            f"{e.stream_version} 版 · 位置 {e.global_position}"
        )
        actor = event_actor_zh(e, units)
        lines.append(f"      操作人：{actor} · 辖区：{name_of(e.jurisdiction)}({e.jurisdiction})")
        payload = redact(e.payload, story.erased_persons)
        if details := payload_details(payload, story.names, e.event_type):
            lines.append("      内容：" + details)
        if reasons := payload_reasons(payload):
            lines.append("      原因：" + reasons)
        if e.causation_id is not None:
            cause = index.get(e.causation_id)
            if cause is not None:
                cause_event = story.events[cause - 1].envelope
                lines.append(
                    f"      起因：第 {cause} 条（{event_name_zh(cause_event.event_type)}）"
                )
            else:
                lines.append(f"      起因：事件 {e.causation_id}（不在已查到的记录中）")
    lines.extend(_identity_read_lines(story))
    lines.extend(f"注：{note}" for note in story.notes)
    return lines


def story_document(story: Story) -> dict[str, Any]:
    """The story as JSON (payloads redacted; each event's fields also in Chinese, ``details_zh``,
    and why it happened, ``reasons_zh``, as the workbook's 内容 and 原因 say)."""
    index = {e.envelope.event_id: i for i, e in enumerate(story.events, 1)}
    units = stream_units(story)
    events: list[dict[str, Any]] = []
    for i, item in enumerate(story.events, 1):
        e = item.envelope
        payload = redact(e.payload, story.erased_persons)
        events.append(
            {
                "index": i,
                "service": item.service,
                "in_stream": item.in_stream,
                "event_id": str(e.event_id),
                "event_type": e.event_type,
                "event_name_zh": event_name_zh(e.event_type),
                "stream_type": e.stream_type,
                "stream_id": e.stream_id,
                "stream_version": e.stream_version,
                "global_position": e.global_position,
                "recorded_at": format_ts(e.recorded_at),
                "recorded_at_beijing": local_time(e.recorded_at),
                "jurisdiction": e.jurisdiction,
                "actor": {
                    "principal_id": e.actor.principal_id,
                    "role": e.actor.role,
                    "role_zh": role_label(e.actor.role),
                    "name_zh": event_actor_zh(e, units),
                },
                "correlation_id": str(e.correlation_id),
                "causation_id": str(e.causation_id) if e.causation_id else None,
                "caused_by": index.get(e.causation_id) if e.causation_id else None,
                "payload": payload,
                "details_zh": payload_details(payload, story.names, e.event_type),
                "reasons_zh": payload_reasons(payload),  # the workbook's 原因
            }
        )
    reads = [
        {
            "index": i,
            "event_id": str(item.envelope.event_id),
            "stream_id": item.envelope.stream_id,
            "read_at": format_ts(item.envelope.occurred_at),
            "read_at_beijing": local_time(item.envelope.occurred_at),
            "actor": {
                "principal_id": item.envelope.actor.principal_id,
                "role": item.envelope.actor.role,
                "role_zh": role_label(item.envelope.actor.role),
                "name_zh": actor_name_zh(
                    item.envelope.actor.principal_id,
                    item.envelope.actor.role,
                    item.envelope.jurisdiction,
                ),
            },
            "outcome": item.envelope.payload.get("outcome"),
            "outcome_zh": outcome_zh(item.envelope.payload),
            "reason": item.envelope.payload.get("reason"),
        }
        for i, item in identity_reads(story)
    ]
    return {
        "stream_id": story.stream_id,
        "correlation_ids": [str(c) for c in story.correlation_ids],
        "events": events,
        "identity_reads": reads,
        "notes": story.notes,
        "names": story.names,
    }


def story_json(story: Story) -> str:
    return json.dumps(story_document(story), ensure_ascii=False, indent=2)
