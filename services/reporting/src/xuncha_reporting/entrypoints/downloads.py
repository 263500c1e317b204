"""A workbook sent as a download: its file name in UTF-8 (RFC 6266), never cached."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Response

from xuncha_reporting.adapters.workbooks import XLSX


def download(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "private, no-store",
        },
    )
