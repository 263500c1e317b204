"""HTTP API of the intake service (port 8001).

| method | path | who |
|---|---|---|
| POST | ``/api/v1/petitions`` | city/county office, inspection group (token; own jurisdiction) |
| GET | ``/api/v1/receipts/{code}`` | anyone holding the receipt code (no token): the status only |
| POST | ``/api/v1/petitions/{id}/informant`` | informant custodian only (own jurisdiction) |
| POST | ``/api/v1/petitions/{id}/notices`` | informant custodian only (own jurisdiction) |
| GET | ``/api/v1/informant-notices/due`` | informant custodian: the notices owed |

Errors are ``application/problem+json``: 401 without a valid token, 403 for a read-only role,
the wrong role or another jurisdiction, 422 for invalid input or an unknown jurisdiction, 404
for an unknown receipt code or petition.

Reading a reporter's identity takes a stated reason (``{"reason": "…"}``, 4–500 characters) and
is recorded as ``intake.InformantIdentityRead`` on the petition's stream, committed before the
identity is sent (``Cache-Control: no-store``). 409 for an anonymous petition (nothing to read);
410 when the person's key was erased (crypto-shredding): that attempt is recorded as well.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema
from xuncha_shared.clocks.clock import local_day
from xuncha_shared.contracts.common import (
    Channel,
    JurisdictionCode,
    LongText,
    NameText,
    NoNul,
)
from xuncha_shared.contracts.intake import (
    IdentityReadOutcome,
    NoticeChannel,
    NoticeKind,
    ReadReason,
)
from xuncha_shared.crypto import InformantCryptoError
from xuncha_shared.domain import personal_numbers
from xuncha_shared.domain.personal_data import InformantIdentity
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http import problems
from xuncha_shared.http.dependencies import AuthDependencies, ensure_jurisdiction
from xuncha_shared.http.problems import ProblemError, not_found, problem_type
from xuncha_shared.http.requests import request_meta

from xuncha_intake.domain import model, notices
from xuncha_intake.domain.model import ReceiptStatus
from xuncha_intake.domain.petition_place import PetitionPlace, place_petition
from xuncha_intake.handlers.groups import GroupHandlers
from xuncha_intake.handlers.petitions import IntakeHandlers, PetitionInput

logger = logging.getLogger(__name__)

WRITERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.GROUP_MEMBER)
#: who reads reporter identities (domain §7); auditors never see plaintext
IDENTITY_READERS = (Role.CUSTODIAN,)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
CONCURRENT_CHANGE = "并发修改冲突，请重试 / the record was changed concurrently; retry the request"

RoundId = Annotated[
    str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True), NoNul
]


#: digits in a reporter's phone number as typed: a landline without its area code (7) up to
#: an international number (E.164: 15); a mobile has 11
PHONE_DIGITS = (7, 15)


class InformantIn(InformantIdentity):
    """举报人 as the office types it (``summary_numbers`` is intake's to fill, not a client's).
    Its phone must be one the reporter can be reached at (``PHONE_DIGITS``): checked here, on
    what is typed, not on identities already sealed."""

    summary_numbers: SkipJsonSchema[None] = None

    @field_validator("phone")
    @classmethod
    def _reachable(cls, value: str | None) -> str | None:
        low, high = PHONE_DIGITS
        if value is not None and not low <= sum(c.isdigit() for c in value) <= high:
            raise ValueError(f"a phone number has {low} to {high} digits")
        return value


class PetitionIn(BaseModel):
    """来信来电来访 or a referral. ``informant`` is encrypted before anything is stored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    jurisdiction: JurisdictionCode = Field(description="six-digit code of a city or county")
    unit: NameText | None = Field(
        default=None, description="被巡察单位 (its name; omitted when unit_id is given)"
    )
    channel: Channel
    # before ``summary``: the summary's check needs to know whether the petition is real-name
    informant: InformantIn | None = Field(
        default=None, description="举报人 (real-name reports); omitted for anonymous ones"
    )
    summary: LongText = Field(
        description="摘要. Phone and ID numbers in it leave intake only sealed (R11): in a "
        "real-name petition each is replaced by a mark ［已密封的电话号码1］ and sealed with the "
        "reporter's identity; an anonymous petition with numbers is refused (422)"
    )
    round_id: RoundId | None = None
    group_id: UUID | None = Field(
        default=None,
        description="the inspection group that received it (a group-bound token: its own, the "
        "default); round_id is then the group's round",
    )
    unit_id: UUID | None = Field(
        default=None, description="the registered unit it concerns (with a group: one of its)"
    )

    @field_validator("summary")
    @classmethod
    def _numbers_that_can_be_sealed(cls, summary: str) -> str:
        problem = personal_numbers.summary_problem(summary)
        if problem:
            raise ValueError(problem)
        return summary


class PetitionCreated(BaseModel):
    id: UUID
    receipt_code: str = Field(description="give to the reporter; only its hash is kept")
    sealed_numbers: int = Field(
        default=0,
        description="phone and ID numbers taken out of the summary and sealed (R11): with the "
        "reporter's identity, or for an anonymous petition under a key of their own; the "
        "recorded summary has a mark in place of each",
    )


class ReceiptOut(BaseModel):
    status: ReceiptStatus
    status_zh: str


class ErasureIn(BaseModel):
    """Why and under which rule the custodian erases a reporter's identity (R23); recorded
    unencrypted in the event, so neither may contain personal data."""

    model_config = ConfigDict(extra="forbid")

    reason: ReadReason = Field(description="销毁理由 (4–500 characters), e.g. 举报人申请删除")
    legal_basis: ReadReason = Field(
        description="法律依据 (4–500 characters), e.g. 《个人信息保护法》第四十七条"
    )


class ErasureOut(BaseModel):
    petition_id: UUID
    erased: bool = Field(description="always true: the reporter's data key is destroyed")
    erasure_event_id: UUID = Field(description="the committed intake.InformantIdentityErased")
    erased_at: datetime


class IdentityReadIn(BaseModel):
    """Why the custodian needs the reporter's identity; recorded with the read, unencrypted,
    so it must not itself contain personal data."""

    model_config = ConfigDict(extra="forbid")

    reason: ReadReason = Field(
        description="查阅目的 (4–500 characters), e.g. 核实举报人身份以便回访"
    )


class IdentityOut(BaseModel):
    """举报人身份: the decrypted identity and the read event that recorded this disclosure. For an
    anonymous petition (``anonymous``) only the numbers sealed from its summary, no identity."""

    petition_id: UUID
    anonymous: bool = Field(
        default=False, description="an anonymous petition: only summary_numbers, no identity"
    )
    name: str | None = Field(default=None, description="the reporter's name (real name only)")
    phone: str | None = None
    id_number: str | None = None
    address: str | None = None
    employer: str | None = None
    summary_numbers: list[str] | None = Field(
        default=None,
        description="the numbers taken out of the summary, in the order of its ［已密封的…n］",
    )
    read_event_id: UUID
    read_at: datetime


class NoticeIn(BaseModel):
    """告知举报人: what the real-name reporter was told, how and when (nothing of who)."""

    model_config = ConfigDict(extra="forbid")

    kind: NoticeKind = Field(description="acceptance (受理告知, R8) | result (办理结果告知)")
    channel: NoticeChannel = Field(description="letter | phone | in_person")
    sent_on: date = Field(description="the day it was sent (China time), not in the future")


class NoticeOut(BaseModel):
    petition_id: UUID
    kind: NoticeKind
    channel: NoticeChannel
    sent_on: date
    notices: list[NoticeKind] = Field(description="every notice recorded for the petition")


def domain_errors() -> AbstractContextManager[None]:
    """Map the model's refusals and lost races to problem responses."""
    return problems.domain_errors(CONCURRENT_CHANGE)


def build_router(
    handlers: IntakeHandlers, deps: AuthDependencies, places: GroupHandlers | None = None
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["intake"])
    writer = deps.require_roles(*WRITERS, write=True)

    async def petition_place(body: PetitionIn, principal: Principal) -> PetitionPlace:
        """The group and unit a petition names, checked: another group than a bound token's
        own, or one the caller may not see, is the 404 of an unknown group."""
        group_id = body.group_id
        if principal.group_id is not None:
            group_id = group_id or principal.group_id
            if group_id != principal.group_id:
                raise not_found(f"未找到巡察组 {group_id} / unknown group {group_id}")
        group = None
        if group_id is not None and places is not None:
            group = await places.load_group(group_id)
            if not group.exists or not principal.can_access(group.jurisdiction):
                raise not_found(f"未找到巡察组 {group_id} / unknown group {group_id}")
        unit = None
        if body.unit_id is not None and places is not None:
            unit = await places.unit_fact(body.unit_id)
        if unit is not None and not principal.can_access(unit.jurisdiction):
            unit = None  # refused below as unknown: nothing leaks
        # the area of a round named without a group (a router without the group handlers
        # cannot look rounds up: it takes the round as the petition's own)
        round_area: str | None = body.jurisdiction
        if group_id is None and body.round_id is not None and places is not None:
            round_area = await places.round_area(body.round_id)
        with domain_errors():
            return place_petition(
                body.jurisdiction,
                body.unit,
                body.round_id,
                group_id,
                group,
                body.unit_id,
                unit,
                round_area,
            )

    @router.post("/petitions", status_code=201, response_model=PetitionCreated)
    async def record_petition(
        body: PetitionIn, request: Request, principal: Principal = Depends(writer)
    ) -> PetitionCreated:
        with domain_errors():
            model.validate_jurisdiction(body.jurisdiction)
        ensure_jurisdiction(principal, body.jurisdiction)
        place = await petition_place(body, principal)
        with domain_errors():
            recorded = await handlers.record_petition(
                PetitionInput(
                    jurisdiction=body.jurisdiction,
                    unit=place.unit,
                    channel=body.channel,
                    summary=body.summary,
                    round_id=place.round_id,
                    informant=body.informant,
                    group_id=place.group_id,
                    unit_id=place.unit_id,
                ),
                request_meta(request, principal),
            )
        return PetitionCreated(
            id=recorded.petition_id,
            receipt_code=recorded.receipt_code,
            sealed_numbers=recorded.sealed_numbers,
        )

    custodian = deps.require_roles(*IDENTITY_READERS, write=True)

    @router.post(
        "/petitions/{petition_id}/informant",
        response_model=IdentityOut,
        responses={
            409: {"description": "anonymous petition that sealed no numbers: nothing to read"},
            410: {"description": "the reporter's key was erased; the attempt is recorded"},
        },
    )
    async def read_informant(
        petition_id: UUID,
        body: IdentityReadIn,
        request: Request,
        response: Response,
        principal: Principal = Depends(custodian),
    ) -> IdentityOut:
        """查阅举报人身份: recorded (who, when, why) and committed before it is returned."""
        try:
            with domain_errors():
                read = await handlers.read_informant(
                    petition_id, body.reason, principal, request_meta(request, principal)
                )
        except InformantCryptoError as exc:
            logger.error("cannot decrypt the informant of petition %s: %s", petition_id, exc)
            raise ProblemError(
                500,
                "Identity cannot be decrypted",
                "举报人身份无法解密，未披露、未记录 / the reporter identity cannot be decrypted "
                "(damaged data or an unknown key-encryption key); nothing was disclosed",
                problem_type("identity-undecryptable"),
            ) from exc
        if read.outcome is IdentityReadOutcome.KEY_ERASED or (
            read.identity is None and read.numbers is None
        ):
            raise ProblemError(
                410,
                "Gone",
                "举报人信息密钥已销毁，无法查阅；本次查阅已记录 / the reporter's key was erased "
                "(crypto-shredding): the identity can no longer be read; this attempt is recorded",
                problem_type("identity-erased"),
                headers=NO_STORE,
                extra={
                    "petition_id": str(petition_id),
                    "read_event_id": str(read.read_event_id),
                },
            )
        response.headers.update(NO_STORE)
        if read.numbers is not None:  # an anonymous petition: its sealed summary numbers only
            return IdentityOut(
                petition_id=petition_id,
                anonymous=True,
                summary_numbers=list(read.numbers.summary_numbers),
                read_event_id=read.read_event_id,
                read_at=read.read_at,
            )
        identity = read.identity
        assert identity is not None
        return IdentityOut(
            petition_id=petition_id,
            name=identity.name,
            phone=identity.phone,
            id_number=identity.id_number,
            address=identity.address,
            employer=identity.employer,
            summary_numbers=list(identity.summary_numbers) if identity.summary_numbers else None,
            read_event_id=read.read_event_id,
            read_at=read.read_at,
        )

    @router.post(
        "/petitions/{petition_id}/informant/erasure",
        response_model=ErasureOut,
        responses={
            409: {"description": "anonymous petition that sealed nothing, or erased already"},
        },
    )
    async def erase_informant(
        petition_id: UUID,
        body: ErasureIn,
        request: Request,
        principal: Principal = Depends(custodian),
    ) -> ErasureOut:
        """销毁举报人身份 (R23): the reporter's data key is destroyed (crypto-shredding) in the
        transaction that records ``intake.InformantIdentityErased`` (who, when, why, legal
        basis; no personal data). Reads answer 410 afterwards; the history still verifies."""
        with domain_errors():
            stored = await handlers.erase_informant(
                model.EraseIdentity(
                    petition_id=petition_id, reason=body.reason, legal_basis=body.legal_basis
                ),
                principal,
                request_meta(request, principal),
            )
        return ErasureOut(
            petition_id=petition_id,
            erased=True,
            erasure_event_id=stored.event_id,
            erased_at=stored.occurred_at,
        )

    @router.post(
        "/petitions/{petition_id}/notices",
        status_code=201,
        response_model=NoticeOut,
        responses={409: {"description": "anonymous petition, or acceptance already notified"}},
    )
    async def notify(
        petition_id: UUID,
        body: NoticeIn,
        request: Request,
        principal: Principal = Depends(custodian),
    ) -> NoticeOut:
        """告知举报人: records ``intake.InformantNotified`` (an acceptance notice ends R8)."""
        cmd = notices.NotifyInformant(
            petition_id=petition_id, notice=body.kind, channel=body.channel, sent_on=body.sent_on
        )
        today = local_day(handlers.now())
        with domain_errors():
            state = await handlers.notify(cmd, principal, today, request_meta(request, principal))
        return NoticeOut(
            petition_id=petition_id,
            kind=body.kind,
            channel=body.channel,
            sent_on=body.sent_on,
            notices=list(state.notices),
        )

    @router.get("/receipts/{code}", response_model=ReceiptOut)
    async def receipt_status(response: Response, code: str = Path(max_length=64)) -> ReceiptOut:
        response.headers["Cache-Control"] = "no-store"
        view = await handlers.receipt_status(code)
        if view is None:
            raise not_found(
                "未找到该回执码 / no petition has this receipt code (check it, e.g. "
                "XC-7KQ4-M2PD-9TRA-5HXE-W3NB)"
            )
        return ReceiptOut(status=view.status, status_zh=view.status_zh)

    return router
