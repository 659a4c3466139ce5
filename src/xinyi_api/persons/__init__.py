"""个人信用 personal credit: a person's own grade, the dynamic personal credit code (动态个人信用码)
and the measures a person's grade earns in the 信用+ scenarios. See docs/personal-credit.md."""

from xinyi_api.persons.service import PersonalCredit, Standing

__all__ = ["PersonalCredit", "Standing"]
