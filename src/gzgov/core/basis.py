"""Citations into the source document (法规依据): clause id -> document, place and quoted text."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import yaml

from gzgov.config import REPO_ROOT, get_settings

SOURCE_PATH = REPO_ROOT.parent / "shared" / "sources" / "000_5861feff4b853c8c.txt"


@dataclass(frozen=True)
class Citation:
    clause: str
    document_number: str
    document_title_zh: str
    document_title_en: str
    place_zh: str
    place_en: str
    quote: str

    def short(self, lang: str = "zh") -> str:
        place = self.place_en if lang == "en" else self.place_zh
        return f"{self.document_number} {place}"


@lru_cache(maxsize=1)
def _load() -> dict:
    with open(get_settings().data_dir / "basis.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def cite(clause: str) -> Citation:
    data = _load()
    entry = data["clauses"][clause]
    doc = data["documents"][entry["document"]]
    return Citation(clause, doc["number"], doc["title_zh"], doc["title_en"], entry["place_zh"],
                    entry["place_en"], entry["quote"])


def all_clauses() -> list[Citation]:
    return [cite(c) for c in _load()["clauses"]]
