"""Excel workbooks (openpyxl) of the 整改台账 and the 挂图作战 board: a summary sheet first, then
one sheet per unit; Chinese headers in bold on a frozen first row.

openpyxl is imported when a workbook is made, not when the service starts (it is half a second
of every start of the reporting service and of the CLI)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HEADER_COLOUR = "DDE6F3"


def _sheet(
    book: Workbook, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    header_fill = PatternFill("solid", fgColor=_HEADER_COLOUR)
    sheet = book.create_sheet(title)
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in rows:
        sheet.append(list(row))
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        longest = max([len(str(header))] + [len(str(r[index - 1] or "")) for r in rows])
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, longest * 2))


def workbook(
    summary: tuple[Sequence[str], Sequence[Sequence[Any]]],
    sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]],
) -> bytes:
    """The bytes of an .xlsx: ``汇总`` (summary) then one sheet per (title, headers, rows)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    _sheet(book, "汇总", *summary)
    for title, headers, rows in sheets:
        _sheet(book, title, headers, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
