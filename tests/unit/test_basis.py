"""Every citation quotes the source document verbatim, and every basis in data/ names a known clause."""

from pathlib import Path

import pytest
import yaml

from gzgov.config import REPO_ROOT
from gzgov.core.basis import SOURCE_PATH, all_clauses, cite


def _normalise(text: str) -> str:
    return "".join(text.split())


@pytest.mark.skipif(not SOURCE_PATH.exists(), reason="the gazette text lives in ../shared beside the checkout")
def test_every_quote_appears_in_the_gazette():
    source = _normalise(SOURCE_PATH.read_text(encoding="utf-8"))
    missing = [c.clause for c in all_clauses() if _normalise(c.quote) not in source]
    assert missing == []


def _bases(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "basis" and isinstance(v, str):
                yield v
            else:
                yield from _bases(v)
    elif isinstance(node, list):
        for v in node:
            yield from _bases(v)


@pytest.mark.parametrize("path", sorted((REPO_ROOT / "data" / "forest").glob("*.yaml")), ids=lambda p: p.name)
def test_every_basis_in_the_forest_data_is_a_known_clause(path: Path):
    for clause in _bases(yaml.safe_load(path.read_text(encoding="utf-8"))):
        assert cite(clause).quote
