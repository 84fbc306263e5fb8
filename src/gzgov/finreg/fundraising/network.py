"""The enterprise network (企业关联网络) for illegal-fundraising monitoring, built vectorised from Arrow tables.

Vertices, in this order: every company (0 … n_companies-1, in the row order of the enterprises table), every
person (in the row order of the persons table), then the normalised addresses and the normalised phone numbers
that two or more companies share. Edges: shareholder, officer, legal-representative, controller and branch
links (person–company or company–company), and company–address, company–phone. Parallel edges (one person
both legal representative and shareholder) are kept once, so that a density counts relations between
distinct parties.

An address or phone shared by more than `max_shared` companies is a hub — a business centre that registers
thousands of companies at one door, a registration agent's phone — and says nothing about who acts together;
it is left out. An address or phone used by one company only connects nothing and is left out too.

Normalisation (the page's `fundraising_service._norm_phone/_norm_address`, vectorised and made a little
stricter):

* phone: NFKC (full-width digits), digits only; a leading 0086 or 86 country code is dropped when more digits
  follow than a domestic number has (+86 138 0013 8000 = 13800138000); a landline written internationally
  regains its trunk 0 (+86 20 3888 0000 = 02038880000); a 7–8 digit local number gets the default area code
  (38880000 = 02038880000); fewer than 7 digits is no number.
* address: NFKC, lower case, letters and digits only (spaces, punctuation and dashes dropped), a leading
  广东省 and then 广州市 removed; shorter than `min_address_chars` characters is no address.

Everything is done with pyarrow.compute and numpy over whole columns; python-igraph holds the graph for
components, degree and Leiden communities; hop distances use a bounded multi-source breadth-first search over
a CSR adjacency in numpy (a few array operations per hop, never a Python loop per vertex).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import duckdb
import igraph as ig
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["COMPANY", "PERSON", "ADDRESS", "PHONE", "Network", "build_network", "normalise_address",
           "normalise_phone", "hops_from", "communities", "components"]

COMPANY, PERSON, ADDRESS, PHONE = 0, 1, 2, 3
KIND_NAMES = ("company", "person", "address", "phone")


def _strings(arr: pa.Array | pa.ChunkedArray | list) -> pa.Array:
    if isinstance(arr, list):
        arr = pa.array(arr, pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], pa.string())
    return arr.cast(pa.string())


def normalise_phone(phones: pa.Array | pa.ChunkedArray, default_area_code: str = "020") -> pa.Array:
    """Phone numbers as comparable digit strings (null where there is no usable number)."""
    x = pc.replace_substring_regex(pc.utf8_normalize(_strings(phones), "NFKC"), r"[^0-9]", "")
    n = pc.utf8_length(x)
    x = pc.if_else(pc.and_(pc.starts_with(x, "0086"), pc.greater(n, 13)), pc.utf8_slice_codeunits(x, 4), x)
    n = pc.utf8_length(x)
    x = pc.if_else(pc.and_(pc.starts_with(x, "86"), pc.greater(n, 11)), pc.utf8_slice_codeunits(x, 2), x)
    n = pc.utf8_length(x)
    # an international landline lost its trunk 0: 20 3888 0000 -> 020 3888 0000
    x = pc.if_else(pc.and_(pc.invert(pc.or_(pc.starts_with(x, "0"), pc.starts_with(x, "1"))),
                           pc.and_(pc.greater_equal(n, 9), pc.less_equal(n, 11))), pc.binary_join_element_wise("0", x, ""), x)
    n = pc.utf8_length(x)
    if default_area_code:
        local = pc.and_(pc.invert(pc.starts_with(x, "0")), pc.and_(pc.greater_equal(n, 7), pc.less_equal(n, 8)))
        x = pc.if_else(local, pc.binary_join_element_wise(default_area_code, x, ""), x)
        n = pc.utf8_length(x)
    return pc.if_else(pc.greater_equal(n, 7), x, pa.scalar(None, pa.string()))


def normalise_address(addresses: pa.Array | pa.ChunkedArray, min_chars: int = 6) -> pa.Array:
    """Addresses as comparable strings (null where there is no usable address)."""
    x = pc.utf8_lower(pc.utf8_normalize(_strings(addresses), "NFKC"))
    x = pc.replace_substring_regex(x, r"[^\p{L}\p{N}]", "")
    x = pc.replace_substring_regex(x, r"^广东省", "")
    x = pc.replace_substring_regex(x, r"^广州市", "")
    return pc.if_else(pc.greater_equal(pc.utf8_length(x), min_chars), x, pa.scalar(None, pa.string()))


@dataclass
class Network:
    """The graph and what each vertex is. `src`/`dst` are the distinct undirected edges (src < dst)."""

    n_companies: int
    n_persons: int
    shared_keys: list[str]  # the normalised address/phone of each vertex from n_companies + n_persons on
    kind: np.ndarray  # int8 per vertex: COMPANY, PERSON, ADDRESS, PHONE
    src: np.ndarray
    dst: np.ndarray
    _graph: ig.Graph | None = field(default=None, repr=False)
    _csr: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return int(self.kind.shape[0])

    @property
    def graph(self) -> ig.Graph:
        if self._graph is None:
            g = ig.Graph(n=self.n)
            if self.src.size:
                g.add_edges(np.column_stack((self.src, self.dst)))
            self._graph = g
        return self._graph

    def csr(self) -> tuple[np.ndarray, np.ndarray]:
        """Undirected adjacency as (indptr, indices)."""
        if self._csr is None:
            heads = np.concatenate((self.src, self.dst))
            tails = np.concatenate((self.dst, self.src))
            order = np.argsort(heads, kind="stable")
            indptr = np.zeros(self.n + 1, np.int64)
            np.cumsum(np.bincount(heads, minlength=self.n), out=indptr[1:])
            self._csr = (indptr, tails[order])
        return self._csr

    def degree(self) -> np.ndarray:
        indptr, _ = self.csr()
        return np.diff(indptr)

    def vertex_label(self, v: int) -> str:
        """A short label for a vertex that is an address or phone (for evidence texts)."""
        return self.shared_keys[v - self.n_companies - self.n_persons]


def _link_ends(codes: pa.Array, pkeys: pa.Array, links: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Vertex ids of both ends of every link whose ends are known (companies first, then persons)."""
    if links.num_rows == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    n_c = len(codes)
    keys = pa.table({"k": pa.concat_arrays([codes, pkeys]),
                     "kind": pa.array(["company"] * n_c + ["person"] * len(pkeys), pa.string()),
                     "v": pa.array(np.arange(n_c + len(pkeys), dtype=np.int64))})
    ends = links.select(["src_kind", "src", "dst"])
    con = duckdb.connect()
    try:
        con.execute("SET threads TO 2")
        con.register("keys", keys)
        con.register("ends", ends)
        rel = con.sql("""SELECT s.v AS a, d.v AS b FROM ends
                         JOIN keys d ON d.k = ends.dst AND d.kind = 'company'
                         JOIN keys s ON s.k = ends.src AND s.kind = ends.src_kind""")
        t = rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.fetch_arrow_table()
    finally:
        con.close()
    return (t.column("a").to_numpy().astype(np.int64, copy=False), t.column("b").to_numpy().astype(np.int64, copy=False))


def _shared(values: pa.Array, base: int, max_shared: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Edges company -> shared value vertex for values used by 2..max_shared companies."""
    enc = values.dictionary_encode()
    idx = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    ok = idx >= 0
    if not ok.any():
        return np.empty(0, np.int64), np.empty(0, np.int64), []
    counts = np.bincount(idx[ok], minlength=len(enc.dictionary))
    keep = (counts >= 2) & (counts <= max_shared)
    new_id = np.full(len(counts), -1, np.int64)
    new_id[keep] = np.arange(int(keep.sum()), dtype=np.int64) + base
    companies = np.nonzero(ok)[0]
    target = new_id[idx[ok]]
    sel = target >= 0
    keys = pc.filter(enc.dictionary, pa.array(keep)).to_pylist()
    return companies[sel].astype(np.int64), target[sel], keys


def build_network(enterprises: pa.Table, persons: pa.Table, links: pa.Table, *, max_shared: int = 50,
                  min_address_chars: int = 6, default_area_code: str = "020") -> Network:
    """The enterprise graph from the scoring tables (columns as `fundraising_service.load_tables` makes them)."""
    codes = _strings(enterprises.column("credit_code"))
    pkeys = _strings(persons.column("person_key"))
    n_c, n_p = len(codes), len(pkeys)

    # relation links: src is a person key or a credit code, dst a credit code (a hash join in DuckDB)
    a, b = _link_ends(codes, pkeys, links)
    parts_a, parts_b = [a], [b]

    base = n_c + n_p
    a_comp, a_vert, a_keys = _shared(normalise_address(enterprises.column("address"), min_address_chars), base,
                                     max_shared)
    base += len(a_keys)
    t_comp, t_vert, t_keys = _shared(normalise_phone(enterprises.column("phone"), default_area_code), base,
                                     max_shared)
    parts_a += [a_comp, t_comp]
    parts_b += [a_vert, t_vert]
    a = np.concatenate(parts_a)
    b = np.concatenate(parts_b)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keep = lo != hi
    n = base + len(t_keys)
    key = np.sort(lo[keep] * np.int64(n) + hi[keep])
    if key.size:
        distinct = np.ones(key.size, bool)
        distinct[1:] = key[1:] != key[:-1]
        key = key[distinct]
    kind = np.concatenate((np.full(n_c, COMPANY, np.int8), np.full(n_p, PERSON, np.int8),
                           np.full(len(a_keys), ADDRESS, np.int8), np.full(len(t_keys), PHONE, np.int8)))
    return Network(n_c, n_p, a_keys + t_keys, kind, key // n, key % n)


def components(net: Network) -> np.ndarray:
    """Connected-component id of every vertex."""
    return np.asarray(net.graph.connected_components().membership, np.int64)


def hops_from(net: Network, sources: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Multi-source breadth-first search bounded to `k` hops: for every vertex its distance to the nearest
    source (-1 beyond k) and which source that is (-1 beyond k; the lowest vertex id on a tie)."""
    dist = np.full(net.n, -1, np.int64)
    origin = np.full(net.n, -1, np.int64)
    frontier = np.unique(np.asarray(sources, np.int64))
    if frontier.size == 0:
        return dist, origin
    dist[frontier] = 0
    origin[frontier] = frontier
    indptr, indices = net.csr()
    for hop in range(1, k + 1):
        starts = indptr[frontier]
        lens = indptr[frontier + 1] - starts
        total = int(lens.sum())
        if total == 0:
            break
        offsets = np.repeat(starts - (np.cumsum(lens) - lens), lens)
        nb = indices[np.arange(total, dtype=np.int64) + offsets]
        org = np.repeat(origin[frontier], lens)
        new = dist[nb] == -1
        nb, org = nb[new], org[new]
        if nb.size == 0:
            break
        order = np.lexsort((org, nb))
        nb, org = nb[order], org[order]
        first = np.ones(nb.size, bool)
        first[1:] = nb[1:] != nb[:-1]
        nb, org = nb[first], org[first]
        dist[nb] = hop
        origin[nb] = org
        frontier = nb
    return dist, origin


@dataclass(frozen=True)
class Communities:
    """Leiden (CPM) communities. `membership` is a community number per vertex (-1: not examined or alone);
    `companies` the number of companies in each community; `label` its stable short name."""

    membership: np.ndarray
    companies: np.ndarray
    labels: list[str]

    def of_companies(self, n_companies: int) -> tuple[np.ndarray, np.ndarray]:
        """Per company: its community number (-1 if none) and the community's company count (0 if none)."""
        m = self.membership[:n_companies]
        size = np.where(m >= 0, self.companies[np.maximum(m, 0)] if self.companies.size else 0, 0)
        return m, size


def communities(net: Network, *, resolution: float, min_companies: int = 2, seeds: np.ndarray | None = None,
                radius: int = 2, n_iterations: int = 4, seed: int = 1) -> Communities:
    """Dense rings: Leiden with the constant Potts model (CPM), whose `resolution` is the least edge density a
    community must have, so small tight groups are found however large the whole graph is.

    To scale, Leiden runs only where a ring could matter: on the components holding at least `min_companies`
    companies and, when `seeds` (company vertex ids, e.g. companies that carry other signals) are given, only
    on the vertices within `radius` hops of a seed. Communities with fewer than two companies are dropped.
    Labels (R1, R2, …) follow the lowest company vertex in each community, so they are the same for the same
    data. Deterministic for a given `seed`."""
    n = net.n
    membership = np.full(n, -1, np.int64)
    if n == 0 or net.src.size == 0:
        return Communities(membership, np.empty(0, np.int64), [])
    comp = components(net)
    is_company = net.kind == COMPANY
    comp_companies = np.bincount(comp, weights=is_company, minlength=comp.max() + 1)
    mask = comp_companies[comp] >= min_companies
    if seeds is not None:
        dist, _ = hops_from(net, seeds, radius)
        mask &= dist >= 0
    vids = np.nonzero(mask)[0]
    if vids.size == 0:
        return Communities(membership, np.empty(0, np.int64), [])
    sub = net.graph.induced_subgraph(vids.tolist(), implementation="create_from_scratch")
    rng = random.Random(seed)
    ig.set_random_number_generator(rng)
    try:
        part = sub.community_leiden(objective_function="CPM", resolution=resolution, n_iterations=n_iterations)
    finally:
        ig.set_random_number_generator(random)
    local = np.asarray(part.membership, np.int64)
    # induced_subgraph keeps vertex order, so vids[i] is the sub-graph's vertex i
    sub_companies = np.bincount(local, weights=is_company[vids], minlength=local.max() + 1)
    big = sub_companies >= 2
    if not big.any():
        return Communities(membership, np.empty(0, np.int64), [])
    # number communities by their lowest company vertex
    comp_vids = vids[is_company[vids] & big[local]]
    comp_local = local[is_company[vids] & big[local]]
    first = np.full(local.max() + 1, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(first, comp_local, comp_vids)
    ranked = np.nonzero(big)[0][np.argsort(first[big], kind="stable")]
    renum = np.full(local.max() + 1, -1, np.int64)
    renum[ranked] = np.arange(ranked.size, dtype=np.int64)
    membership[vids] = renum[local]
    sizes = sub_companies[ranked].astype(np.int64)
    return Communities(membership, sizes, [f"R{i + 1}" for i in range(ranked.size)])
