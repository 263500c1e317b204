"""Settings of the reporting service (on top of ``xuncha_shared.settings.Settings``)."""

from __future__ import annotations

from xuncha_shared.contracts.topics import topic_for

SERVICE = "reporting"
#: Kafka consumer group id and inbox key of the projection consumer.
PROJECTION_CONSUMER = "reporting.projections"
#: Version of the projection's tables (meta key ``projection_version``): 1 = linked view and
#: sharing feeds, 2 = + the rectification ledger (整改台账), 3 = + the deadlines (期限), 4 = + the
#: lifecycle documents of steps 1–4 (coverage, round statistics), 5 = + the clue funnel
#: (线索办理漏斗) and the departments' result states, 6 = + the office summary's documents and the
#: 组织部 feed's problems and inspector grades, intake's R13–R15 clocks, linkage plans' counterpart
#: reports (the linked view's linkage figures) and petitions' groups and units, the 挂图作战 board
#: and verified close-outs, 7 = + intake's R8 result-notice clock, 8 = + revisits (回头看),
#: recurrences (改了再犯/屡查屡犯) and common-problem lists with the units' self-checks
#: (``domain.revisit_views``), 9 = + rectification tasks' and supervisions' deadlines
#: (``domain.rectification_clocks``) and the overdue progress reports and supervisions in the
#: board's history, 10 = a close-out counted per close-out event and taken back by a revisit's
#: reopening (``IssueReopened`` v2), 11 = R3 counted from the transfer letter's day of a transfer
#: made on paper (``ClueTransferred`` v2 ``transferred_on``, 补录 R26), 12 = the deadline rows
#: closed by other rows (a task or supervision by its issue's marks, an R15 cadence by its
#: stationing's end) written by the projection (``deadlines.closed_*``), so that the open
#: deadlines are read without the history, 13 = a term plan's dates kept (its coverage warned in
#: the term's last year, R6), 14 = the talent-pool members' home units (the 组织部 feed names an
#: inspector grade's inspector and unit, ``domain.feed_display``), 15 = a feed item's 移交函 day
#: (``letter_on``) of a transfer made on paper, 16 = a declared completion counted once per
#: attempt and taken back by a rejected verification or a reopening (``RectificationReported``
#: v3 ``attempt``, ``completions_withdrawn``), 17 = a clue's unit kept (``ClueRegistered``), so
#: its rows of the deadlines list (R3, R12) name the unit, 18 = an issue of a review of the
#: office itself (``IssueFedBack.round_name``) kept apart in the work summary (received, not
#: fed back), 19 = the problem an issue feeds back (``IssueFedBack`` v5 ``problem_id``) and
#: the issues a 督办 names kept, so a pointed problem counts as supervised by its own issues,
#: 20 = the round holding a 回头看 (``RevisitScheduled`` v2 ``in_round_id``) kept on every
#: revisit's document, 21 = the office's 催办 of a transferred clue's result (``clues.
#: TransferResultUrged``, R27): an item of the department's feed and the clue's urges in the
#: funnel and the feed's result states, 22 = the city's checks of its counties' inspection work
#: and its 重点督办 of counties (``intake.CountyWorkChecked``, ``CountyKeySupervisionOrdered``,
#: R29) in the office summary, 23 = a county's 重点督办 lifted and the city's pilot points
#: (``intake.CountyKeySupervisionLifted``, ``PilotPointDesignated``, R29) there too, 24 = the
#: units whose inspection the office made known (``rectification.ResultsPublished``, 两公开, R5)
#: in the office summary, 25 = the opinions on cadres the organisation department asked and the
#: office gave (``rectification.CadreOpinionRequested``, ``CadreOpinionGiven``, R4) there too,
#: 26 = the inspectors put into the reserve pool of cadres in the 组织部 feed
#: (``intake.ReserveCadreAdmitted``, 后备干部库), 27 = a request for an opinion on a cadre
#: withdrawn (``rectification.CadreOpinionWithdrawn``) no longer counted as asked, 28 = a
#: reserve cadre taken out (``intake.ReserveCadreRemoved``) in the 组织部 feed too, 29 = each
#: admission to and removal from the reserve pool a document (``reserve_event``), read as the
#: 后备干部库 view (``domain.reserve_cadres``), 30 = the day the 组织部 asked an opinion on a
#: cadre by (``CadreOpinionRequested.reply_by``, R4) a deadline of the answering office, left out
#: once withdrawn, 31 = each 催报 of a common-problem list's self-checks
#: (``rectification.CommonProblemSelfCheckUrged``) a document (``self_check_urge``), counted per
#: unit in the lists' view, 32 = a request for an opinion on a cadre names the cadre's unit
#: (``os_opinion_asked``), which names its R4 deadline in 期限预警 and the replay, 33 = a
#: reporter's identity erased (``intake.InformantIdentityErased``, R23) withdraws the R8
#: notices of the petition still owed, 34 = a clue's summary in its department's feed with each
#: seal mark of a sealed number blinded (［已隐去］, ``personal_numbers.blind_marks``). A projection
#: of an older version is rebuilt from the history when the service starts
#: (``xuncha_reporting.upgrade``).
PROJECTION_VERSION = 34
PROJECTION_VERSION_KEY = "projection_version"
#: Stream types whose topics the projection follows (every service's).
PROJECTED_STREAM_TYPES: tuple[str, ...] = (
    "petition",
    "clue",
    "issue",
    "rectification_plan",
    "oversight",
    "revisit",
    "common_problem_list",
    "share",
    "unit",
    "term_plan",
    "round",
    "group",
    "intake_record",
    "pool_member",
    "inspection_report",
    "problem",
    "consultation",
    "linkage_plan",
    "county_oversight",
    "publication",
    "cadre_opinion",
)
#: Stream type of reporting's own events (acknowledgements).
SHARE_STREAM_TYPE = "share"
#: How often the event stream (SSE) looks at the projection version, in seconds.
STREAM_POLL_SECONDS = 0.5
#: SSE keep-alive comment interval, in seconds.
STREAM_KEEPALIVE_SECONDS = 15.0


def projection_topics(prefix: str = "") -> list[str]:
    return [topic_for(stream_type, prefix) for stream_type in PROJECTED_STREAM_TYPES]
