"""Paging of list pages (50 rows a page) and safe text search."""

from __future__ import annotations

from dataclasses import dataclass

PER_PAGE = 50


@dataclass(frozen=True)
class Pager:
    number: int  # 1-based, clamped to the existing pages
    pages: int
    total: int
    per_page: int = PER_PAGE

    @classmethod
    def of(cls, total: int, requested: int | None, per_page: int = PER_PAGE) -> Pager:
        pages = max(1, -(-total // per_page))
        number = min(max(1, requested or 1), pages)
        return cls(number, pages, total, per_page)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with the wildcards in it escaped (use escape='\\')."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
