"""The city's own stricter figures (data/finreg/local_limits.yaml) replace a rule's limit with their local basis;
a looser or malformed one refuses the whole library."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from gzgov.config import get_settings
from gzgov.finreg.rules import FinregRulesError, load_rules


@pytest.fixture
def data(tmp_path) -> Path:
    folder = tmp_path / "finreg"
    shutil.copytree(get_settings().data_dir / "finreg", folder)
    return folder


def write(folder: Path, text: str) -> None:
    (folder / "local_limits.yaml").write_text(text, encoding="utf-8")


def test_none_is_set_in_the_shipped_data():
    assert all(not r.local_basis for r in load_rules())


def test_a_stricter_local_figure_replaces_the_legal_one(data):
    write(data, 'limits:\n- rule: SL_SINGLE_BORROWER\n  value: "0.08"\n  basis: 穗金融规〔2025〕1号 第五条\n')
    rule = load_rules(data).rule("SL_SINGLE_BORROWER")
    assert rule.limit.value == Decimal("0.08") and rule.local_policy and rule.local_basis == "穗金融规〔2025〕1号 第五条"
    assert rule.basis.document_number == "金规〔2024〕26号"  # the legal basis is still cited
    assert load_rules(data).rule("SL_BORROWER_GROUP").limit.value == Decimal("0.15")


@pytest.mark.parametrize("text,problem", [
    ('limits:\n- rule: SL_SINGLE_BORROWER\n  value: "0.12"\n  basis: x\n', "looser"),
    ('limits:\n- rule: SL_SINGLE_BORROWER\n  value: 0.08\n  basis: x\n', "quoted value"),
    ('limits:\n- rule: SL_SINGLE_BORROWER\n  value: "0.08"\n', "basis"),
    ('limits:\n- rule: NO_SUCH_RULE\n  value: "0.08"\n  basis: x\n', "unknown rule"),
])
def test_a_looser_or_malformed_local_figure_is_refused(data, text, problem):
    write(data, text)
    with pytest.raises(FinregRulesError, match=problem):
        load_rules(data)
