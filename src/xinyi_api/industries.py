"""行业 industries: the keys a subject's ``industry`` may take, and what they are called.

Scenario coverage matches subjects by industry key, so a free-text key made coverage depend on
spelling (the demo's property companies were ``property`` while 信用+物业 covered
``property_management``, and no one noticed). Keys now come from this registry: the core's
common industries plus those a scenario declares in ``Scenario.new_industries``. A subject with
an unknown key is refused (422 ``unknown-industry``), and a scenario covering an unknown key is
refused at load. ``GET /api/v1/industries`` lists them with their names.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

__all__ = ["CORE_INDUSTRIES", "Industry", "IndustryRegistry"]


class Industry(msgspec.Struct, frozen=True):
    """行业: an industry key subjects may be registered with, and its names."""

    key: str
    name_zh: str
    name_en: str


CORE_INDUSTRIES: tuple[Industry, ...] = (
    Industry("beef_soup", "牛肉汤", "beef soup"),
    Industry("catering", "餐饮", "catering"),
    Industry("restaurant", "餐馆", "restaurant"),
    Industry("bakery", "烘焙", "bakery"),
    Industry("retail", "零售", "retail"),
    Industry("hotel", "住宿", "hotel"),
    Industry("homestay", "民宿", "homestay"),
    Industry("scenic_spot", "景区", "scenic spot"),
    Industry("travel_agency", "旅行社", "travel agency"),
    Industry("tour_guide", "导游服务", "tour guide"),
    Industry("tourist_shopping", "旅游购物", "tourist shopping"),
    Industry("hospital", "医疗机构", "hospital"),
    Industry("clinic", "诊所", "clinic"),
    Industry("pharmacy", "药店", "pharmacy"),
    Industry("property_management", "物业服务", "property management"),
)
"""The industries the core knows; scenarios add theirs (``Scenario.new_industries``)."""


class IndustryRegistry:
    """The industries of one process: the core's and every enabled scenario's."""

    def __init__(self, extra: Iterable[Industry] = ()) -> None:
        self._by_key: dict[str, Industry] = {i.key: i for i in CORE_INDUSTRIES}
        for industry in extra:
            self._by_key.setdefault(industry.key, industry)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def get(self, key: str) -> Industry | None:
        return self._by_key.get(key)

    def all(self) -> list[Industry]:
        return sorted(self._by_key.values(), key=lambda i: i.key)

    def name_of(self, key: str) -> str:
        industry = self._by_key.get(key)
        return industry.name_zh if industry is not None else key
