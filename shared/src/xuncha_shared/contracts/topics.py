"""Topic names: ``<service>.<aggregate>.v<N>``; dead letters go to ``<topic>.dlq``; each
receiving department has its own ``share.<department>.v1``.

Which stream type goes to which topic is part of the contract: the relay of a service publishes
each event to ``topic_for(stream_type)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from xuncha_shared.contracts.common import Department


@dataclass(frozen=True)
class TopicSpec:
    service: str
    aggregate: str
    version: int = 1
    description: str = ""

    @property
    def name(self) -> str:
        return f"{self.service}.{self.aggregate}.v{self.version}"


# stream_type -> topic
STREAM_TOPICS: dict[str, TopicSpec] = {
    "petition": TopicSpec(
        "intake",
        "petition",
        1,
        "Petitions and referrals received (来信来电来访、移交), reads of reporter identities",
    ),
    "unit": TopicSpec("intake", "unit", 1, "Inspected units registered (被巡察单位)"),
    "term_plan": TopicSpec(
        "intake",
        "term-plan",
        1,
        "Term plans adopted and amended (巡察工作五年规划): the units to cover",
    ),
    "linkage_plan": TopicSpec(
        "intake", "linkage-plan", 1, "Linkage plans issued (上下联动工作方案), city then counties"
    ),
    "county_oversight": TopicSpec(
        "intake",
        "county-oversight",
        1,
        "The city office's checks of its counties' inspection work (督导检查) and counties put "
        "under key supervision (重点督办)",
    ),
    "round": TopicSpec(
        "intake", "round", 1, "Rounds planned, units assigned, authorised (双授权) and closed"
    ),
    "pool_member": TopicSpec(
        "intake", "talent-pool", 1, "Talent pool members enrolled, retired, their recusals (回避)"
    ),
    "group": TopicSpec(
        "intake", "group", 1, "Groups formed, stationed (进驻) and ended, inspectors evaluated"
    ),
    "intake_record": TopicSpec(
        "intake",
        "record",
        1,
        "Talks, surveys, symposia, site checks, records reviews, personal-matters checks and "
        "referrals recorded by groups, with the clues they bring",
    ),
    "clue": TopicSpec(
        "clues", "clue", 1, "Problem clues: registered, classified, escalated, transferred"
    ),
    "inspection_report": TopicSpec(
        "clues",
        "inspection-report",
        1,
        "Inspection reports (分报告/综合报告/专项报告) drafted and heard (书记专题会/常委会)",
    ),
    "problem": TopicSpec(
        "clues",
        "problem",
        1,
        "Problems found at inspected units (发现问题), by topic, 点人点事 marked",
    ),
    "consultation": TopicSpec(
        "clues", "consultation", 1, "Immediate consultations (即时会商) between office and group"
    ),
    "issue": TopicSpec(
        "rectification", "issue", 1, "Issues fed back to inspected units and their rectification"
    ),
    "rectification_plan": TopicSpec(
        "rectification",
        "plan",
        1,
        "Rectification plans with three lists: submitted, returned, approved",
    ),
    "oversight": TopicSpec(
        "rectification",
        "oversight",
        1,
        "Supervision of rectification (督办) and red-line warnings (R20) with negative records",
    ),
    "revisit": TopicSpec(
        "rectification", "revisit", 1, "Revisits (回头看, R18): scheduled, findings recorded"
    ),
    "common_problem_list": TopicSpec(
        "rectification",
        "common-problem-list",
        1,
        "Common-problem lists of a term (未巡先改) and the units' self-checks",
    ),
    "publication": TopicSpec(
        "rectification",
        "publication",
        1,
        "Results made known (两公开, R5): stationing, feedback and rectification, inside the "
        "party or to the public",
    ),
    "cadre_opinion": TopicSpec(
        "rectification",
        "cadre-opinion",
        1,
        "Opinions on cadres asked by the organisation department and given by the office (R4)",
    ),
    "share": TopicSpec(
        "reporting", "share", 1, "Results shared with departments and their acknowledgements"
    ),
}

AUDIT_CHECKPOINTS = "audit.checkpoints"
DLQ_SUFFIX = ".dlq"
#: per receiving department, exactly what its sharing feed shows (reporting publishes; only that
#: department's principal reads it): ``share.<department>.v1``, department as in ``Department``
SHARE_TOPIC = "share.{department}.v1"


def topic_for(stream_type: str, prefix: str = "") -> str:
    try:
        return prefix + STREAM_TOPICS[stream_type].name
    except KeyError:
        raise KeyError(f"no topic for stream type {stream_type!r}") from None


def service_topics(service: str, prefix: str = "") -> list[str]:
    return [prefix + spec.name for spec in STREAM_TOPICS.values() if spec.service == service]


def dlq_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


def share_topic(department: str, prefix: str = "") -> str:
    """The department's own share topic (``share.<department>.v1``)."""
    return prefix + SHARE_TOPIC.format(department=department)


def share_topics(prefix: str = "") -> list[str]:
    return [share_topic(d.value, prefix) for d in Department]


def all_topics(prefix: str = "") -> list[str]:
    """Every topic the system uses, dead-letter topics and the departments' share topics
    included; ``make up`` creates them all explicitly with infinite retention (auto-creation is
    off on the broker)."""
    names = [prefix + spec.name for spec in STREAM_TOPICS.values()]
    names.append(prefix + AUDIT_CHECKPOINTS)
    return names + [dlq_topic(n) for n in names] + share_topics(prefix)
