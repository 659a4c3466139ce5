"""Personal data in free text is masked before it is stored (seed 003 §4)."""

from __future__ import annotations

import pytest

from xinyi_api.consumers.masking import mask


@pytest.mark.parametrize(("text", "expected"), [
    ("老板电话13812345678态度差", "老板电话138****5678态度差"),
    ("call 138 1234 5678 now", "call 138 **** 5678 now"),
    ("+86 13912345678", "+86 139****5678"),
    ("身份证340403199001011234", "身份证3****************4"),
    ("id 34040319900101123X.", "id 3****************X."),
    ("卡号6222021234567890123退款", "卡号***************0123退款"),
    ("座机0554-1234567", "座机0554-*****67"),
    ("mail zhangsan@example.com pls", "mail z*******@example.com pls"),
    ("味道不错,价格公道,下次再来", "味道不错,价格公道,下次再来"),
    ("2024年3月15日消费88元", "2024年3月15日消费88元"),
])
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert mask(text) == expected
    assert len(mask(text)) <= len(text)
