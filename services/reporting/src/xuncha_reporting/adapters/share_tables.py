"""The tables of 成果共享's publishing (``share_publisher.py``), outside the projection's schema:
``share_published`` (what went to a department's topic) and ``share_pending`` (the live feed
items not yet published, queued by the live projection's own write of the item,
``projection_writes.py``). A rebuild recreates the same deterministic item ids, so neither
table is rebuilt; swapping a rebuilt schema in queues whatever of it was never published."""

from __future__ import annotations

from xuncha_shared.migrations import Migration

from xuncha_reporting.adapters.projection_tables import FEED_NAME_COLUMNS, feed_names_sql
from xuncha_reporting.adapters.schema import LIVE_SCHEMA

SCHEMA = """
CREATE TABLE IF NOT EXISTS public.share_published (
    item_id      text        PRIMARY KEY,
    department   text        NOT NULL,
    topic        text        NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now()
);
-- the live feed items not yet published (the live projection's writes queue them)
CREATE TABLE IF NOT EXISTS public.share_pending (
    item_id   text        PRIMARY KEY,
    queued_at timestamptz NOT NULL DEFAULT now()
);
"""

#: every live item not yet published, queued: when the queue came (migration 1), after a swap,
#: and when the publisher starts (items a release without the queue wrote meanwhile: a rollback,
#: or an old copy still projecting during a rolling upgrade)
QUEUE_UNPUBLISHED_SQL = f"""
INSERT INTO public.share_pending (item_id)
SELECT i.item_id FROM {LIVE_SCHEMA}.feed_items i
WHERE NOT EXISTS (SELECT 1 FROM public.share_published p WHERE p.item_id = i.item_id)
ON CONFLICT (item_id) DO NOTHING
"""

#: the queue's start in a deployment whose items were published before it existed
MIGRATIONS = (Migration("reporting", 1, "share_pending_queued", QUEUE_UNPUBLISHED_SQL),)

#: queue rows that wait for nothing: published already (queued again by a swap whose snapshot
#: predates the record) or whose item the live schema no longer has (a rebuild stopped making
#: it); run when the publisher starts
DROP_STALE_SQL = f"""
DELETE FROM public.share_pending q
WHERE EXISTS (SELECT 1 FROM public.share_published p WHERE p.item_id = q.item_id)
   OR NOT EXISTS (SELECT 1 FROM {LIVE_SCHEMA}.feed_items i WHERE i.item_id = q.item_id)
"""

#: the queued items as the feed shows them (``feed_names_sql``: ``feed_display.displayed``)
PENDING_SQL = f"""
SELECT i.item_id, i.department, i.kind, i.source_event_id, i.ref_id, i.jurisdiction,
       i.summary, i.reason, i.rect_type, i.due_date, i.occurred_at, i.letter_on,
       {FEED_NAME_COLUMNS}
FROM public.share_pending q JOIN {LIVE_SCHEMA}.feed_items i ON i.item_id = q.item_id
{feed_names_sql(LIVE_SCHEMA)}
WHERE NOT EXISTS (SELECT 1 FROM public.share_published p WHERE p.item_id = q.item_id)
ORDER BY i.occurred_at, i.item_id
LIMIT $1
"""

RECORD_SQL = """
WITH published AS (
    INSERT INTO public.share_published (item_id, department, topic)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
    ON CONFLICT (item_id) DO NOTHING
)
DELETE FROM public.share_pending WHERE item_id = ANY($1::text[])
"""
