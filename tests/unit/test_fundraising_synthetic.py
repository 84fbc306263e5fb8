"""The synthetic enterprise population: deterministic for a seed, valid codes and ID numbers, the sizes asked
for, ground truth consistent with the tables, and rings and decoys that look like what they are meant to."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from gzgov.core.identity import make_credit_code, mask_id, validate_credit_code, validate_id_card
from gzgov.finreg.fundraising.returns import best_return
from gzgov.finreg.fundraising.synthetic import credit_codes, generate

TODAY = date(2025, 10, 1)
SCHEMAS = {  # gzgov.finreg.fundraising_service.load_tables
    "enterprises": pa.schema([("credit_code", pa.string()), ("name", pa.string()), ("scope", pa.string()),
                              ("registered_capital_fen", pa.int64()), ("paid_in_capital_fen", pa.int64()),
                              ("established", pa.date32()), ("address", pa.string()), ("phone", pa.string()),
                              ("district_code", pa.string()), ("industry", pa.string()),
                              ("has_financial_licence", pa.bool_())]),
    "persons": pa.schema([("person_key", pa.string()), ("name", pa.string()), ("id_masked", pa.string()),
                          ("blacklisted", pa.bool_())]),
    "links": pa.schema([("kind", pa.string()), ("src_kind", pa.string()), ("src", pa.string()), ("dst", pa.string()),
                        ("share_bp", pa.int64())]),
    "signals": pa.schema([("credit_code", pa.string()), ("kind", pa.string()), ("on", pa.date32()), ("text", pa.string())]),
}
FINANCIAL_WORDS = ("投资", "理财", "财富", "资产管理", "众筹", "养老", "区块链", "数字资产", "金融", "融资", "产权交易")


@pytest.fixture(scope="module")
def pop():
    return generate(5000, rings=4, seed=11, today=TODAY)


@pytest.fixture(scope="module")
def rows(pop):
    return {e["credit_code"]: e for e in pop.enterprises.to_pylist()}


def test_the_same_seed_gives_the_same_population_and_another_seed_another():
    a, b = generate(1000, rings=2, seed=3, today=TODAY), generate(1000, rings=2, seed=3, today=TODAY)
    for name in SCHEMAS:
        assert getattr(a, name).equals(getattr(b, name)), name
    assert (a.planted, a.rings, a.decoys, a.cased) == (b.planted, b.rings, b.decoys, b.cased)
    c = generate(1000, rings=2, seed=4, today=TODAY)
    assert not a.enterprises.equals(c.enterprises) and a.planted != c.planted


def test_tables_have_exactly_the_scoring_schemas(pop):
    tables = pop.tables()
    for name, schema in SCHEMAS.items():
        assert tables[name].schema.equals(schema), name
    assert isinstance(tables["cased"], set)


def pairs(p) -> int:
    return len(set(zip(p.links["src"].to_pylist(), p.links["dst"].to_pylist(), strict=True)))


def test_sizes_are_as_asked():
    p = generate(3000, rings=5, seed=1, today=TODAY, edges_per_company=5)
    assert p.enterprises.num_rows == 3000 and len(p.rings) == 5
    assert all(5 <= len(r) <= 15 for r in p.rings)
    assert 4.6 <= pairs(p) / 3000 <= 5.1  # distinct counterparties; shared addresses and phones add the rest
    assert p.links.num_rows > pairs(p)  # one person often holds several roles in a company
    denser = generate(3000, rings=5, seed=1, today=TODAY, edges_per_company=7)
    assert 6.6 <= pairs(denser) / 3000 <= 7.1
    assert generate(4000, seed=1, today=TODAY).rings.__len__() == 2  # one ring per 2,000 companies by default
    with pytest.raises(ValueError):
        generate(300, rings=10, today=TODAY)


def test_credit_codes_are_valid_unique_and_made_as_the_identity_module_makes_them(pop):
    codes = pop.enterprises["credit_code"].to_pylist()
    assert len(set(codes)) == len(codes)
    assert all(validate_credit_code(c) == c for c in codes)
    assert {c[8:10] for c in codes} >= {"MA"} and any(c[8:16].isdigit() for c in codes)  # both eras of body
    for c in codes[:200]:
        assert make_credit_code(c[2:8], c[8:16]) == c
    import numpy as np

    one = credit_codes(np.array(["440106"]), np.array([12345678]), np.array([False]))
    assert one.to_pylist() == [make_credit_code("440106", "12345678")]


def test_district_is_the_codes_registration_region(pop):
    for e in pop.enterprises.to_pylist():
        region = e["credit_code"][2:8]
        assert e["district_code"] == region and region.startswith("4401")


def test_persons_have_valid_unique_id_numbers_masked_as_the_platform_masks_them(pop):
    ids = pop.person_ids.to_pylist()
    assert len(ids) == pop.persons.num_rows and len(set(ids)) == len(ids)
    assert all(validate_id_card(i, TODAY) == i for i in ids)
    assert pop.persons["id_masked"].to_pylist() == [mask_id(i) for i in ids]
    keys = pop.persons["person_key"].to_pylist()
    assert len(set(keys)) == len(keys)


def test_every_link_joins_known_companies_and_persons_once(pop, rows):
    persons = set(pop.persons["person_key"].to_pylist())
    links = pop.links.to_pylist()
    seen = set()
    for lk in links:
        assert lk["dst"] in rows
        assert lk["src"] in (persons if lk["src_kind"] == "person" else rows)
        assert lk["src"] != lk["dst"]
        key = (lk["kind"], lk["src"], lk["dst"])
        assert key not in seen
        seen.add(key)
        if lk["kind"] in ("officer", "legal_rep"):
            assert lk["src_kind"] == "person"
        if lk["kind"] == "branch":
            assert lk["src_kind"] == "company"
        assert (lk["share_bp"] is not None) == (lk["kind"] == "shareholder")
    linked = {lk["src"] for lk in links if lk["src_kind"] == "person"}
    assert linked == persons  # no person without a link, as the import can make none
    assert {lk["dst"] for lk in links if lk["kind"] == "legal_rep"} == set(rows)  # every company has one
    assert len(pop.positions) == len(links)
    held = Counter()
    for lk in links:
        held[lk["dst"]] += lk["share_bp"] or 0
    assert all(0 < held[c] <= 10_000 for c in rows if not rows[c]["name"].endswith(("分公司", "分店")))


def test_signals_are_dated_no_later_than_today_and_unique_as_the_import_keeps_them(pop, rows):
    sig = pop.signals.to_pylist()
    assert all(s["credit_code"] in rows and s["on"] <= TODAY and s["text"] for s in sig)
    assert len({(s["credit_code"], s["kind"], s["on"], s["text"]) for s in sig}) == len(sig)
    assert {s["kind"] for s in sig} == {"complaint", "advert", "recruitment", "news", "court"}
    assert all(e["established"] <= TODAY for e in rows.values())


def test_ground_truth_is_consistent(pop, rows):
    assert pop.planted == set().union(*pop.rings)
    assert sum(len(r) for r in pop.rings) == len(pop.planted)  # rings are disjoint
    assert pop.planted <= set(rows) and pop.decoys <= set(rows) and pop.cased <= set(rows)
    assert not pop.planted & pop.decoys
    assert set(pop.decoy_kinds) == pop.decoys
    assert set(pop.decoy_kinds.values()) >= {"licensed", "investment_name", "consumer", "elderly_care", "group", "chain"}


def test_rings_carry_the_marks_of_illegal_fundraising(pop, rows):
    sig = pop.signals.to_pylist()
    links = pop.links.to_pylist()
    for ring in pop.rings:
        members = [rows[c] for c in ring]
        assert not any(m["has_financial_licence"] for m in members)
        assert sum(any(w in m["name"] + m["scope"] for w in FINANCIAL_WORDS) for m in members) >= len(ring) * 0.8
        rates = [best_return(s["text"]) for s in sig if s["credit_code"] in ring and s["kind"] == "advert"]
        assert max(r.annual_rate for r in rates if r and r.annual_rate is not None) >= 0.12
        heads = [m for m in members if (m["registered_capital_fen"] or 0) >= 10_000_000 * 100]
        assert heads and all((m["paid_in_capital_fen"] or 0) <= m["registered_capital_fen"] * 0.05 for m in heads)
        inside = [lk for lk in links if lk["dst"] in ring and lk["src_kind"] == "company"]
        assert inside and all(lk["src"] in ring for lk in inside)  # holdings and branches stay in the ring
        officers = Counter(lk["src"] for lk in links if lk["dst"] in ring and lk["src_kind"] == "person")
        assert officers.most_common(1)[0][1] >= 3  # someone sits in many of its companies
        assert any((TODAY - m["established"]).days <= 2 * 365 for m in members)


def test_decoys_are_honest_in_the_way_they_are_meant_to_be(pop, rows):
    adverts = {s["credit_code"] for s in pop.signals.to_pylist() if s["kind"] == "advert"}
    complaints = Counter(s["credit_code"] for s in pop.signals.to_pylist() if s["kind"] == "complaint")
    for code, kind in pop.decoy_kinds.items():
        e = rows[code]
        if kind == "licensed":
            assert e["has_financial_licence"] and pop.licences[code]
        elif kind == "investment_name":
            assert any(w in e["name"] for w in ("投资", "财富")) and code not in adverts
        elif kind == "consumer":
            assert complaints[code] >= 3
    assert not any(rows[c]["has_financial_licence"] for c in rows if c not in pop.licences)


def test_business_centres_and_agents_are_shared_by_many_legitimate_firms(pop):
    honest = pc.invert(pc.is_in(pop.enterprises["credit_code"], pa.array(sorted(pop.planted))))
    ordinary = pop.enterprises.filter(honest)
    assert Counter(ordinary["address"].to_pylist()).most_common(1)[0][1] >= 20
    assert Counter(ordinary["phone"].to_pylist()).most_common(1)[0][1] >= 20
    neighbours = [c for c, k in pop.decoy_kinds.items() if k == "business_centre_neighbour"]
    ring_addresses = {e["address"] for e in pop.enterprises.to_pylist() if e["credit_code"] in pop.planted}
    assert all(e["address"] in ring_addresses for e in ordinary.to_pylist() if e["credit_code"] in set(neighbours))
