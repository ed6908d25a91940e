"""The platform's sections as shown on the home page, in one place.

A section whose module has not landed yet has `url_name = None` and is shown as
"not yet available" — never with placeholder content. When a module lands, it sets
the `url_name` of its section here (for example ``"events:list"``) and the home page
links to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    key: str
    label: str | Promise
    description: str | Promise
    url_name: str | None = None

    @property
    def available(self) -> bool:
        return self.url_name is not None

    @property
    def url(self) -> str | None:
        return reverse(self.url_name) if self.url_name else None


SECTIONS: tuple[Section, ...] = (
    Section(
        key="live",
        # Translators: section name 看直播
        label=_("Live streams"),
        description=_("Watch performances, lectures and festivals live, and their replays."),
    ),
    Section(
        key="events",
        # Translators: section name 享活动
        label=_("Events"),
        description=_("Find performances, exhibitions and lectures near you and get tickets."),
    ),
    Section(
        key="venues",
        # Translators: section name 订场馆
        label=_("Venue booking"),
        description=_("Book rehearsal rooms, theatres and classrooms of cultural centres."),
    ),
    Section(
        key="courses",
        # Translators: section name 学才艺
        label=_("Learn arts"),
        description=_("Take art courses online and sign up for free classes in person."),
    ),
    Section(
        key="market",
        # Translators: section name 赶大集
        label=_("Cultural market"),
        description=_("Buy cultural-creative and intangible-heritage products."),
    ),
    Section(
        key="resources",
        # Translators: section name 数字资源
        label=_("Digital resources"),
        description=_("Watch, listen to, read and search the shared library of the arts."),
        url_name="resources:index",
    ),
    Section(
        key="procurement",
        # Translators: section name 汇文采
        label=_("Procurement"),
        description=_("Public cultural service procurement between suppliers and institutions."),
    ),
    Section(
        key="pavilion",
        # Translators: section name 数字中国馆
        label=_("Digital China Pavilion"),
        description=_("Multilingual digital exhibitions for cultural institutions abroad."),
    ),
)
