"""HTTP API of the evidence of rectification (佐证材料, port 8003).

| method | path | who |
|---|---|---|
| POST | ``/api/v1/evidence`` (multipart ``file``, ``unit_id``) | the unit, offices, groups |
| GET | ``/api/v1/evidence/{evidence_id}`` | whoever may see the unit's issues |

Files are stored in PostgreSQL with their SHA-256; the type is read from the bytes (PDF, JPEG,
PNG, DOCX, XLSX; at most 20 MB). Evidence of another jurisdiction or unit answers the 404 of
unknown evidence.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel
from xuncha_shared.domain.errors import InvalidCommand
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.envelope import now_utc
from xuncha_shared.http import problems
from xuncha_shared.http.dependencies import AuthDependencies
from xuncha_shared.ids import uuid7

from xuncha_rectification.adapters.tables import EvidenceRow
from xuncha_rectification.entrypoints.issue_responses import (
    READERS,
    WRITERS,
    unit_issues,
    unknown_evidence,
    unknown_unit,
)
from xuncha_rectification.handlers import RectificationHandlers

#: the largest evidence file (the gate admits a body of 20 MiB: the file plus its envelope)
MAX_EVIDENCE_BYTES = 20 * 1000 * 1000
UPLOADERS = (*WRITERS, Role.INSPECTED_UNIT)


class EvidenceCreated(BaseModel):
    evidence_id: UUID
    sha256: str
    filename: str
    media_type: str
    size: int
    url: str


def sniff(content: bytes) -> str | None:
    """The media type the bytes themselves say (PDF, JPEG, PNG, DOCX, XLSX), else ``None``:
    the file name and the client's content type are never trusted."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" not in names:
            return None
        if "word/document.xml" in names:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if "xl/workbook.xml" in names:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


def build_evidence_router(handlers: RectificationHandlers, deps: AuthDependencies) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["rectification"])
    uploader = deps.require_roles(*UPLOADERS, write=True)
    reader = deps.require_roles(*READERS)

    @router.post("/evidence", status_code=201, response_model=EvidenceCreated)
    async def upload_evidence(
        file: Annotated[UploadFile, File(description="PDF, JPEG, PNG, DOCX or XLSX ≤ 20 MB")],
        unit_id: Annotated[UUID | None, Form()] = None,
        principal: Principal = Depends(uploader),
    ) -> EvidenceCreated:
        """佐证材料: stored in PostgreSQL with its SHA-256; the type is read from the bytes."""
        if principal.role is Role.INSPECTED_UNIT:
            if unit_id is not None and unit_id != principal.unit_id:
                raise unknown_unit(unit_id)
            unit_id = principal.unit_id
        jurisdiction = principal.jurisdiction
        if unit_id is not None:
            jurisdiction = (await unit_issues(handlers, principal, unit_id)).jurisdiction
        content = await file.read(MAX_EVIDENCE_BYTES + 1)
        if len(content) > MAX_EVIDENCE_BYTES:
            raise problems.problem_of(
                InvalidCommand(f"文件超过20MB / the file is larger than {MAX_EVIDENCE_BYTES} bytes")
            )
        if not content:
            raise problems.problem_of(InvalidCommand("文件为空 / the file is empty"))
        media_type = sniff(content)
        if media_type is None:
            raise problems.problem_of(
                InvalidCommand(
                    "仅接受PDF、JPEG、PNG、DOCX、XLSX文件（按文件内容判断） / only PDF, JPEG, PNG, "
                    "DOCX and XLSX files are accepted (judged from the bytes)"
                )
            )
        filename = (file.filename or "evidence").strip()[-200:] or "evidence"
        row = EvidenceRow(
            evidence_id=uuid7(),
            jurisdiction=jurisdiction,
            unit_id=unit_id,
            filename=filename.replace("\x00", ""),
            media_type=media_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            uploaded_by=principal.id,
            uploaded_at=now_utc(),
        )
        await handlers.tables.add_evidence(row, content)
        return EvidenceCreated(
            evidence_id=row.evidence_id,
            sha256=row.sha256,
            filename=row.filename,
            media_type=row.media_type,
            size=row.size,
            url=f"/api/v1/evidence/{row.evidence_id}",
        )

    @router.get(
        "/evidence/{evidence_id}",
        response_class=Response,
        responses={200: {"content": {"application/octet-stream": {}}}},
    )
    async def get_evidence(evidence_id: UUID, principal: Principal = Depends(reader)) -> Response:
        row = await handlers.tables.evidence(evidence_id)
        if (
            row is None
            or principal.role is Role.DEPARTMENT
            or not principal.can_access(row.jurisdiction)
            or not principal.sees_unit(row.unit_id)
        ):
            raise unknown_evidence(evidence_id)
        content = await handlers.tables.evidence_content(evidence_id) or b""
        ascii_name = row.filename.encode("ascii", "ignore").decode() or "evidence"
        ascii_name = ascii_name.replace('"', "")
        return Response(
            content,
            media_type=row.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{ascii_name}"',
                "X-Content-SHA256": row.sha256,
                "Cache-Control": "private, no-store",
            },
        )

    return router
