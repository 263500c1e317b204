"""Excel workbooks (openpyxl) of the 整改台账, the 挂图作战 board and the auditors' exports: a
summary sheet first, then one sheet per unit (or per kind of row); Chinese headers in bold on a
frozen first row. Text is stored as text: never a formula, never a character .xlsx refuses.

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


#: what a spreadsheet would read as the start of a formula (=, and +, - or @ in Excel)
_FORMULA_START = ("=", "+", "-", "@")


def _text(value: Any) -> Any:
    """A cell's value as the workbook may hold it: text without the control characters an
    .xlsx cannot store (a note pasted from a word processor may carry them)."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value)


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
        sheet.append([_text(v) for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(_FORMULA_START):
                cell.data_type = "s"  # typed text, never a formula the reader's Excel runs
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
