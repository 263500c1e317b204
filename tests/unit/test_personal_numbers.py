"""A petition's summary is scanned for phone and ID numbers (R11) before anything is recorded."""

from __future__ import annotations

import pytest
from xuncha_shared.domain.personal_numbers import (
    NumberKind,
    blind_marks,
    find_personal_numbers,
    redact,
    summary_problem,
)

pytestmark = pytest.mark.unit

ID = "11010519491231002X"


@pytest.mark.parametrize(
    "text",
    [
        "举报人电话13907941234，反映某局问题",
        "联系 139 0794 1234",
        "联系139-0794-1234",
        "+86 13907941234",
        "电话：１３９０７９４１２３４",  # full-width digits
        "座机0794-8221234",
        "座机(0794)8221234",
    ],
)
def test_phone_numbers_are_found(text: str) -> None:
    assert find_personal_numbers(text).counts[NumberKind.PHONE] == 1


@pytest.mark.parametrize("text", [f"身份证{ID}", f"身份证 {ID.lower()} 。", "440301199001011234号"])
def test_id_numbers_are_found_and_not_counted_as_phones(text: str) -> None:
    found = find_personal_numbers(text)
    assert found.counts == {NumberKind.ID_NUMBER: 1, NumberKind.PHONE: 0}


@pytest.mark.parametrize(
    "text",
    [
        "反映某局2023年违规发放津补贴问题，涉及金额120000元",
        # a long run of digits is no number of a person
        "文号临纪发〔2024〕12号，合同编号2023010112345678901234",
        "12345678901",  # 11 digits not starting 13–19
        "2024-05-01 至 2024-06-30",
        "",
    ],
)
def test_ordinary_text_is_clean(text: str) -> None:
    assert not find_personal_numbers(text)
    assert summary_problem(text) is None


def test_the_problem_names_what_was_found_never_the_number() -> None:
    # the circled mobile number cannot be located in the typed text: nothing can be sealed
    problem = summary_problem(f"电话13907941234，身份证{ID}，另一电话①③⑨0794１２３４")
    assert problem is not None
    assert "电话号码（2 处）" in problem and "身份证号码（1 处）" in problem
    assert "2 phone number(s)" in problem and "1 ID number(s)" in problem
    assert "R11" in problem
    for digits in ("13907941234", ID, "8221234", "0794"):
        assert digits not in problem


def test_redact_takes_the_numbers_out_as_typed_in_the_order_of_their_marks() -> None:
    text = f"电话１３９-0794-1234，身份证{ID}，座机(0794)8221234。其他内容不变。"
    redaction = redact(text)
    assert redaction is not None and redaction
    assert redaction.text == (
        "电话［已密封的电话号码1］，身份证［已密封的身份证号码2］，"
        "座机［已密封的电话号码3］。其他内容不变。"
    )
    assert redaction.numbers == ("１３９-0794-1234", ID, "(0794)8221234")
    assert redaction.kinds == (NumberKind.PHONE, NumberKind.ID_NUMBER, NumberKind.PHONE)
    assert not find_personal_numbers(redaction.text)  # the marks are no numbers themselves


def test_redact_leaves_a_summary_without_numbers_as_it_is() -> None:
    text = "反映某局2023年度项目资金1234567890123456元使用问题（全角标点，不变）"
    redaction = redact(text)
    assert redaction is not None and not redaction and redaction.text == text


def test_a_number_in_a_form_redact_cannot_locate_is_refused() -> None:
    circled = "电话①③⑨0794１２３４"  # NFKC reads a mobile number; the typed text has no digits run
    assert find_personal_numbers(circled)
    assert redact(circled) is None
    problem = summary_problem(circled)
    assert problem is not None and "无法自动密封" in problem and "0794" not in problem


def test_numbers_that_can_be_sealed_are_no_problem() -> None:
    # sealed with the identity (real name) or under a key of their own (anonymous)
    assert summary_problem("电话13907941234") is None


def test_a_department_reads_that_something_was_left_out_not_what() -> None:
    text = "反映某局违规发放津补贴，联系电话［已密封的电话号码1］，身份证［已密封的身份证号码2］。"
    assert blind_marks(text) == "反映某局违规发放津补贴，联系电话［已隐去］，身份证［已隐去］。"
    assert blind_marks("反映问题［备注］") == "反映问题［备注］"  # no seal mark: as written
