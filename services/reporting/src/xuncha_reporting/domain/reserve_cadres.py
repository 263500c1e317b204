"""后备干部库 as the 组织部 reads it (004:L8: 把表现优秀的巡察干部纳入后备干部库，加强跟踪了解;
pure): who is in the reserve pool of cadres now, since when and by which round and group's
优秀, and who left it, when and why, computed when read from the ``reserve_event`` documents
(one per ``intake.ReserveCadreAdmitted`` and ``ReserveCadreRemoved``) beside the pool members,
their home units and the groups and rounds."""

from __future__ import annotations

from typing import Any

from xuncha_reporting.domain.feed_display import group_title

Docs = dict[str, dict[str, dict[str, Any]]]

#: the lifecycle documents the view reads
RESERVE_KINDS: tuple[str, ...] = ("reserve_event", "pool_member", "unit", "group", "round")


def _group(docs: Docs, group_id: str | None) -> str:
    """``抚州市第4届第6轮第3巡察组``, as the 组织部 feed names it."""
    group = docs.get("group", {}).get(group_id or "")
    if group is None:
        return ""
    rnd = docs.get("round", {}).get(group["round_id"], {})
    return group_title(
        {
            "group_no": group["group_no"],
            "round_jurisdiction": rnd.get("jurisdiction"),
            "term_no": rnd.get("term_no"),
            "round_no": rnd.get("round_no"),
        }
    )


def reserve_cadres(docs: Docs) -> dict[str, Any]:
    """Members in the reserve pool now (``members``), and every admission and removal in order
    (``history``); each named with the member's home unit and the group whose 优秀 put them in."""
    members = docs.get("pool_member", {})
    units = docs.get("unit", {})
    events = sorted(
        docs.get("reserve_event", {}).values(), key=lambda e: (e["day"], e.get("at") or "")
    )
    history: list[dict[str, Any]] = []
    current: dict[str, dict[str, Any]] = {}
    for e in events:
        member = members.get(e["member_id"], {})
        home = units.get(member.get("home_unit_id") or "", {})
        entry = {
            "member_id": e["member_id"],
            "name": member.get("name") or "未登记入库的巡察干部",
            "jurisdiction": member.get("jurisdiction"),
            "home_unit": home.get("name"),
            "rank": member.get("rank"),
            "kind": e["kind"],
            "day": e["day"],
        }
        if e["kind"] == "admitted":
            entry |= {"group_id": e.get("group_id"), "group": _group(docs, e.get("group_id"))}
            entry["note"] = e.get("note")
            current[e["member_id"]] = entry
        else:
            entry["reason"] = e.get("reason")
            current.pop(e["member_id"], None)
        history.append(entry)
    in_reserve = sorted(current.values(), key=lambda m: (m["day"], m["name"]))
    return {
        "size": len(in_reserve),
        "members": [
            {k: v for k, v in m.items() if k not in ("kind", "day")} | {"since": m["day"]}
            for m in in_reserve
        ],
        "history": list(reversed(history)),
    }
