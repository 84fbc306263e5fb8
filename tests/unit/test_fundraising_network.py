"""The enterprise network: phone and address normalisation, shared-address and shared-phone vertices, hubs,
components, bounded multi-source hop distances and Leiden (CPM) rings on hand-built tables."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from gzgov.finreg.fundraising import network as nw


def enterprises(*rows: tuple[str, str, str]) -> pa.Table:
    """(credit_code, address, phone) rows; the other columns are not used by the network."""
    return pa.table({"credit_code": [r[0] for r in rows], "address": [r[1] for r in rows],
                     "phone": [r[2] for r in rows]})


def persons(*keys: str) -> pa.Table:
    return pa.table({"person_key": list(keys), "name": [f"人员{k}" for k in keys],
                     "blacklisted": [False] * len(keys)})


def links(*rows: tuple[str, str, str, str]) -> pa.Table:
    """(kind, src_kind, src, dst) rows."""
    return pa.table({"kind": pa.array([r[0] for r in rows], pa.string()),
                     "src_kind": pa.array([r[1] for r in rows], pa.string()),
                     "src": pa.array([r[2] for r in rows], pa.string()),
                     "dst": pa.array([r[3] for r in rows], pa.string())})


def own(n: int) -> tuple[str, str]:
    """An address and phone no other company has."""
    return f"广州市越秀区独立路{n}号", f"020-8{n:07d}"


def edges(net: nw.Network) -> set[tuple[int, int]]:
    return set(zip(net.src.tolist(), net.dst.tolist(), strict=True))


@pytest.mark.parametrize("raw", ["+86 20 3888 0000", "020-38880000", "（020）3888 0000", "０２０－３８８８００００",
                                 "38880000", "0086 20 38880000", "+86-20-38880000"])
def test_landline_forms_normalise_to_one_number(raw):
    assert nw.normalise_phone(pa.array([raw])).to_pylist() == ["02038880000"]


@pytest.mark.parametrize("raw", ["+86 138 0013 8000", "13800138000", "0086 138-0013-8000", "86 13800138000",
                                 "１３８ ００１３ ８０００"])
def test_mobile_forms_normalise_to_one_number(raw):
    assert nw.normalise_phone(pa.array([raw])).to_pylist() == ["13800138000"]


def test_no_number_is_null():
    assert nw.normalise_phone(pa.array(["", "暂无", "12345", None], pa.string())).to_pylist() == [None] * 4


def test_addresses_normalise_without_province_city_spaces_or_punctuation():
    got = nw.normalise_address(pa.array(["广东省广州市天河区珠江新城某路1号 201室", "天河区珠江新城某路1号201室",
                                         "广州市天河区珠江新城某路１号（201室）", "广州市天河区珠江新城某路1号202室",
                                         "广州市某路", None], pa.string())).to_pylist()
    assert got[0] == got[1] == got[2] == "天河区珠江新城某路1号201室"
    assert got[3] != got[0]
    assert got[4] is None and got[5] is None  # too short to identify a place, and none


def test_a_shared_phone_in_different_forms_links_the_companies():
    e = enterprises(("A", own(1)[0], "+86 20 3888 0000"), ("B", own(2)[0], "020-38880000"), ("C", *own(3)))
    net = nw.build_network(e, persons(), links())
    assert net.n == 4 and net.kind.tolist() == [nw.COMPANY] * 3 + [nw.PHONE]
    assert edges(net) == {(0, 3), (1, 3)}
    assert net.vertex_label(3) == "02038880000"


def test_a_shared_address_links_the_companies_and_a_lone_one_adds_nothing():
    e = enterprises(("A", "广东省广州市天河区体育西路2号", own(1)[1]), ("B", "广州市天河区体育西路 2 号", own(2)[1]),
                    ("C", *own(3)))
    net = nw.build_network(e, persons(), links())
    assert net.kind.tolist() == [nw.COMPANY] * 3 + [nw.ADDRESS]
    assert edges(net) == {(0, 3), (1, 3)}


def test_a_hub_address_is_left_out():
    rows = [(f"C{i}", "广州市天河区某商务中心1号", own(i)[1]) for i in range(4)]
    assert nw.build_network(enterprises(*rows), persons(), links(), max_shared=4).n == 5
    assert nw.build_network(enterprises(*rows), persons(), links(), max_shared=3).n == 4  # hub dropped


def test_relation_links_become_edges_once_and_unknown_ends_are_dropped():
    e = enterprises(("A", *own(1)), ("B", *own(2)))
    lk = links(("legal_rep", "person", "P1", "A"), ("shareholder", "person", "P1", "A"),
               ("branch", "company", "A", "B"), ("officer", "person", "P9", "B"), ("shareholder", "company", "Z", "B"))
    net = nw.build_network(e, persons("P1"), lk)
    assert edges(net) == {(0, 2), (0, 1)}
    assert net.degree().tolist() == [2, 1, 1]


def test_components_separate_unconnected_groups():
    e = enterprises(*[(c, *own(i)) for i, c in enumerate("ABCD")])
    net = nw.build_network(e, persons("P1", "P2"), links(("officer", "person", "P1", "A"), ("officer", "person", "P1", "B"),
                                                         ("officer", "person", "P2", "C")))
    comp = nw.components(net)
    assert comp[0] == comp[1] == comp[4]
    assert comp[2] == comp[5] != comp[0]
    assert comp[3] not in {comp[0], comp[2]}


def chain(n: int) -> nw.Network:
    """C0 - P0 - C1 - P1 - C2 … : companies joined one by one by a person each."""
    e = enterprises(*[(f"C{i}", *own(i)) for i in range(n)])
    rows = []
    for i in range(n - 1):
        rows += [("officer", "person", f"P{i}", f"C{i}"), ("shareholder", "person", f"P{i}", f"C{i + 1}")]
    return nw.build_network(e, persons(*[f"P{i}" for i in range(n - 1)]), links(*rows))


def test_hops_are_counted_from_the_nearest_source_and_bounded():
    net = chain(5)  # vertices: C0..C4 = 0..4, P0..P3 = 5..8
    dist, origin = nw.hops_from(net, np.array([0]), 3)
    assert dist[:5].tolist() == [0, 2, -1, -1, -1]  # C2 is 4 hops away, beyond the bound
    assert dist[5:].tolist() == [1, 3, -1, -1]
    dist, origin = nw.hops_from(net, np.array([0, 4]), 4)
    assert dist[:5].tolist() == [0, 2, 4, 2, 0]
    assert origin[:5].tolist() == [0, 0, 0, 4, 4]  # C2 is as far from both: the lower source wins
    dist, _ = nw.hops_from(net, np.array([], np.int64), 3)
    assert (dist == -1).all()


def ring_and_chain() -> nw.Network:
    """Companies R0..R4: a ring run by two persons, at one address and phone; C0..C5: a sparse chain."""
    ring = [(f"R{i}", "广州市天河区某大厦1808室", "020-38881808") for i in range(5)]
    ch = [(f"C{i}", *own(i)) for i in range(6)]
    rows = [(k, "person", p, f"R{i}") for i in range(5) for k, p in (("legal_rep", "Q1"), ("shareholder", "Q2"))]
    for i in range(5):
        rows += [("officer", "person", f"P{i}", f"C{i}"), ("shareholder", "person", f"P{i}", f"C{i + 1}")]
    return nw.build_network(enterprises(*ring, *ch), persons("Q1", "Q2", *[f"P{i}" for i in range(5)]), links(*rows))


def test_a_dense_ring_is_one_community_and_a_sparse_chain_is_not():
    net = ring_and_chain()
    com = nw.communities(net, resolution=0.25, min_companies=2)
    memb, size = com.of_companies(net.n_companies)
    ring, chain_ = memb[:5], memb[5:11]
    assert ring[0] >= 0 and (ring == ring[0]).all() and size[0] == 5
    assert com.labels[ring[0]] == "R1"  # numbered by their lowest company
    assert not np.isin(chain_, ring).any()
    assert size[5:11].max() <= 2  # the chain breaks into pieces of at most two companies
    assert len({m for m in chain_.tolist() if m >= 0}) >= 2
    again = nw.communities(net, resolution=0.25, min_companies=2)
    assert again.membership.tolist() == com.membership.tolist()


def test_communities_are_sought_only_near_seeds():
    net = ring_and_chain()
    com = nw.communities(net, resolution=0.25, min_companies=2, seeds=np.array([0]), radius=2)
    memb, size = com.of_companies(net.n_companies)
    assert (memb[:5] == memb[0]).all() and size[0] == 5
    assert (memb[5:11] == -1).all() and (size[5:11] == 0).all()
