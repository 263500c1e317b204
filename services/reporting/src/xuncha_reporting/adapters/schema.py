"""Projection tables of the reporting service, in a schema of their own.

The live tables are in ``projection``; ``xuncha projections rebuild`` fills the same tables in a
fresh schema (``rebuild_<ts>``) and may swap it in by renaming the two schemas in one
transaction; ``xuncha audit replay --as-of`` fills them in ``asof_<ts>`` from the history as it
stood at a moment. Nothing here holds informant data: no table has a column for it.

Every table is ``CREATE ... IF NOT EXISTS``: a table added in a new version appears when the
service starts, empty; events projected before it existed get into it with
``xuncha projections rebuild --swap``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from xuncha_reporting.domain.intake_clocks import CADENCE_KIND
from xuncha_reporting.domain.rectification_clocks import MARKED_KINDS

LIVE_SCHEMA = "projection"

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

#: Projection tables and their key columns (for comparing two schemas).
#: notified when feed items are inserted (their transaction's commit wakes the share publisher)
SHARE_CHANNEL = "xuncha_share_items"

TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "facts": ("metric", "entity_key"),
    "counters": ("jurisdiction", "metric"),
    "feed_items": ("item_id",),
    "feed_acks": ("item_id",),
    "ledger_issues": ("issue_id",),
    "ledger_reports": ("event_id",),
    "deadlines": ("kind", "key"),
    "deadline_case_marks": ("case_id", "event_id"),
    "lifecycle_docs": ("kind", "key"),
}


#: the kinds whose rows other rows close (``closed_*``): by their issue's marks, by their stationing
CADENCE_KINDS: tuple[str, ...] = tuple(k.value for k in CADENCE_KIND.values())
CLOSED_KINDS: tuple[str, ...] = (*MARKED_KINDS, *CADENCE_KINDS)


#: ``deadlines.unended``: not ended by its own event, nor closed by other rows in every read
UNENDED = "ended_at IS NULL AND (closed_at IS NULL OR COALESCE(closed_in <> jurisdiction, false))"


def sql_list(values: tuple[str, ...]) -> str:
    """``values`` (constants of this code, never input) as an SQL list of literals."""
    return ", ".join(f"'{v}'" for v in values)


def check_schema(schema: str) -> str:
    """``schema`` if it is a plain lower-case identifier (it is spliced into SQL)."""
    if not _IDENT.match(schema):
        raise ValueError(f"invalid schema name {schema!r}")
    return schema


def ddl(schema: str = LIVE_SCHEMA) -> str:
    s = check_schema(schema)
    return f"""
CREATE SCHEMA IF NOT EXISTS {s};

-- one row per countable thing (petition, clue, issue, report...): counted once, whatever the
-- number or order of deliveries
CREATE TABLE IF NOT EXISTS {s}.facts (
    metric       text    NOT NULL,
    entity_key   text    NOT NULL,
    jurisdiction char(6) NOT NULL,
    PRIMARY KEY (metric, entity_key)
);

-- the linked view's counters: count(facts) per jurisdiction and metric, kept up to date
CREATE TABLE IF NOT EXISTS {s}.counters (
    jurisdiction char(6) NOT NULL,
    metric       text    NOT NULL,
    value        bigint  NOT NULL,
    PRIMARY KEY (jurisdiction, metric)
);

-- sharing feeds: what was shared with which receiving department (never the source)
CREATE TABLE IF NOT EXISTS {s}.feed_items (
    item_id           text        PRIMARY KEY,
    department        text        NOT NULL,
    kind              text        NOT NULL,
    source_event_id   uuid        NOT NULL,
    source_event_type text        NOT NULL,
    ref_id            text        NOT NULL,
    jurisdiction      char(6)     NOT NULL,
    unit              text        NOT NULL,
    summary           text        NOT NULL,
    reason            text,
    rect_type         text,
    due_date          text,
    occurred_at       timestamptz NOT NULL,
    letter_on         date
);
CREATE INDEX IF NOT EXISTS feed_items_by_department
    ON {s}.feed_items (department, occurred_at DESC, item_id);
-- new items wake the share publisher when their transaction commits (share_publisher.py)
CREATE OR REPLACE FUNCTION {s}.feed_items_notify() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM pg_notify('{SHARE_CHANNEL}', '');
    RETURN NULL;
END
$f$;
CREATE OR REPLACE TRIGGER feed_items_notify AFTER INSERT ON {s}.feed_items
    FOR EACH STATEMENT EXECUTE FUNCTION {s}.feed_items_notify();

-- 签收: kept apart from the items, so the order in which both arrive does not matter
CREATE TABLE IF NOT EXISTS {s}.feed_acks (
    item_id         text        PRIMARY KEY,
    department      text        NOT NULL,
    ack_event_id    uuid        NOT NULL,
    acknowledged_at timestamptz NOT NULL,
    acknowledged_by text        NOT NULL,
    note            text
);

-- 整改台账: one row per issue fed back to an inspected unit ...
CREATE TABLE IF NOT EXISTS {s}.ledger_issues (
    issue_id        uuid        PRIMARY KEY,
    feedback_id     uuid        NOT NULL,
    jurisdiction    char(6)     NOT NULL,
    unit            text        NOT NULL,
    description     text        NOT NULL,
    rect_type       text        NOT NULL,
    due_date        text,
    fed_back_at     timestamptz NOT NULL,
    source_event_id uuid        NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_issues_by_unit ON {s}.ledger_issues (jurisdiction, unit);

-- ... and one per rectification report, apart from the issue (order of arrival does not matter)
CREATE TABLE IF NOT EXISTS {s}.ledger_reports (
    event_id         uuid        PRIMARY KEY,
    issue_id         uuid        NOT NULL,
    jurisdiction     char(6)     NOT NULL,
    kind             text        NOT NULL,
    progress_percent integer     NOT NULL,
    completed        boolean     NOT NULL,
    note             text        NOT NULL,
    reported_at      timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_reports_by_issue ON {s}.ledger_reports (issue_id);

-- 期限: one row per deadline of a service (kind, key = the aggregate id), filled by its starting,
-- firing, recomputing and satisfying events in any order; the state is decided when read
CREATE TABLE IF NOT EXISTS {s}.deadlines (
    kind             text        NOT NULL,
    key              text        NOT NULL,
    rule_id          text,
    rule_version     integer,
    due_date         date,
    from_firing      boolean     NOT NULL DEFAULT false,
    case_type        text,
    jurisdiction     char(6),
    owner            text,
    waits_for        text,
    started_at       timestamptz,
    yellow_event_id  uuid,
    red_event_id     uuid,
    overdue_event_id uuid,
    ended_at         timestamptz,
    ended_by         uuid,
    closed_at        timestamptz,
    closed_by        uuid,
    closed_in        char(6),
    unended          boolean GENERATED ALWAYS AS ({UNENDED}) STORED,
    PRIMARY KEY (kind, key)
);
-- ended_at/ended_by: ended by its own event. closed_*: ended by other rows, written by the
-- projection whenever they change (``ProjectionWrites``): a rectification task or supervision
-- by its issue's marks (closed_in null: in every read), an R15 cadence by its stationing's end
-- (closed_in: the stationing row's jurisdiction, the only one-jurisdiction read it ends it in).
-- unended: ended by neither, or closed by a stationing of another jurisdiction (a column of its
-- own, so that the planner's statistics know how few rows it holds)
ALTER TABLE {s}.deadlines ADD COLUMN IF NOT EXISTS closed_at timestamptz,
    ADD COLUMN IF NOT EXISTS closed_by uuid, ADD COLUMN IF NOT EXISTS closed_in char(6),
    ADD COLUMN IF NOT EXISTS unended boolean GENERATED ALWAYS AS ({UNENDED}) STORED;
CREATE INDEX IF NOT EXISTS deadlines_by_jurisdiction ON {s}.deadlines (jurisdiction, due_date);
-- the deadlines that may be open: what the summary and the open states of the list read, so
-- that their cost is what is open, not the history
CREATE INDEX IF NOT EXISTS deadlines_unended ON {s}.deadlines (jurisdiction, due_date)
    WHERE unended;
-- the rows the projection closes, by their case (an issue, a group): found when a mark or a
-- stationing's end is projected
CREATE INDEX IF NOT EXISTS deadlines_by_case ON {s}.deadlines (split_part(key, '/', 1))
    WHERE kind IN ({sql_list(CLOSED_KINDS)});
-- an issue's marks (reported done / closed out = done; rejected, reopened = not done): the
-- rectification tasks' and supervisions' deadlines end by them (closed_*)
CREATE TABLE IF NOT EXISTS {s}.deadline_case_marks (
    case_id  text        NOT NULL,
    event_id uuid        NOT NULL,
    at       timestamptz NOT NULL,
    done     boolean     NOT NULL,
    PRIMARY KEY (case_id, event_id)
);
CREATE INDEX IF NOT EXISTS deadline_case_marks_by_case ON {s}.deadline_case_marks (case_id, at);
-- steps 1–4 of the lifecycle (units, term plans, rounds, groups, stationings, intake records,
-- clues' rounds and classes): one document per entity, the latest version kept
CREATE TABLE IF NOT EXISTS {s}.lifecycle_docs (
    kind         text        NOT NULL,
    key          text        NOT NULL,
    jurisdiction char(6)     NOT NULL,
    doc          jsonb       NOT NULL,
    at           timestamptz NOT NULL,
    PRIMARY KEY (kind, key)
);

-- version: bumped by every event that changed something (the dashboard polls it);
-- demo: 1 once an event written with a demo token was projected
CREATE TABLE IF NOT EXISTS {s}.meta (
    key   text   PRIMARY KEY,
    value bigint NOT NULL
);
"""


_INDEX = re.compile(r"CREATE INDEX IF NOT EXISTS [^;]*;")
_INDEXED_TABLE = re.compile(r"\sON \w+\.(\w+) ")


def _indexed_table(index: str) -> str:
    """The table a ``CREATE INDEX`` statement of ``ddl`` indexes."""
    found = _INDEXED_TABLE.search(index)
    if found is None:
        raise ValueError(f"no table in {index!r}")
    return found.group(1)


#: the primary key of each table of ``ddl`` (``TABLE_KEYS`` and ``meta``'s)
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {**TABLE_KEYS, "meta": ("key",)}


def bulk_ddl(schema: str, *, logged: bool = False) -> str:
    """A fresh schema for a rebuild or a replay to fill in bulk (with COPY,
    ``projection_bulk``): the tables of ``ddl`` without their indexes, the primary keys'
    included (``index_ddl`` builds them all once the rows are in, in one sorted pass each rather
    than one insert at a time), and ``UNLOGGED`` (no WAL) unless ``logged``: a rebuilt schema
    that is kept or swapped in must be crash-safe."""
    s = check_schema(schema)
    tables = _INDEX.sub("", ddl(s))
    if not logged:
        tables = tables.replace("CREATE TABLE IF NOT EXISTS", "CREATE UNLOGGED TABLE IF NOT EXISTS")
    drop_keys = "\n".join(f"ALTER TABLE {s}.{t} DROP CONSTRAINT {t}_pkey;" for t in PRIMARY_KEYS)
    return f"{tables}\n{drop_keys}"


def index_ddl(schema: str, tables: Iterable[str] | None = None) -> str:
    """The indexes of ``ddl`` that ``bulk_ddl`` leaves out, to build after a bulk load: the
    primary keys (as ``ddl`` names them) and the secondary indexes; of ``tables`` only, when
    given."""
    s = check_schema(schema)
    only = set(PRIMARY_KEYS if tables is None else tables)
    keys = [
        f"ALTER TABLE {s}.{t} ADD PRIMARY KEY ({', '.join(k)});"
        for t, k in PRIMARY_KEYS.items()
        if t in only
    ]
    indexes = [index for index in _INDEX.findall(ddl(s)) if _indexed_table(index) in only]
    return "\n".join([*keys, *indexes])
