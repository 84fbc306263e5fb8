"""The synthetic population's import files are accepted by the enterprise import (module and command line), and
what the database gives back to the risk index equals the population the generator made."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

from gzgov.finreg import enterprises as ent
from gzgov.finreg.fundraising.synthetic import write_import_files
from gzgov.finreg.fundraising_service import load_tables
from tests.integration.test_cli import run
from tests.personas import SUPERVISOR

TODAY = date(2025, 10, 1)


def _files(paths):
    return [(p.name, p.read_bytes()) for p in paths]


def test_a_small_population_imports_whole_and_reads_back_as_generated(session, tmp_path):
    pop, paths = write_import_files(tmp_path, n=3000, seed=5, today=TODAY)
    assert [p.suffix for p in paths] == [".csv", ".csv", ".jsonl"]
    r = ent.import_files(session, SUPERVISOR, _files(paths), TODAY)
    assert (r.enterprises_new, r.persons_new, r.links_new, r.signals_new) == (
        3000, pop.persons.num_rows, pop.links.num_rows, pop.signals.num_rows)
    session.flush()

    back = load_tables(session, TODAY)
    for name in ("enterprises", "persons", "links", "signals"):
        assert back[name].schema.equals(getattr(pop, name).schema), name
    mine = {e["credit_code"]: e for e in pop.enterprises.to_pylist()}
    theirs = {e["credit_code"]: e for e in back["enterprises"].to_pylist()}
    assert theirs == mine  # every column, licence flag included
    # persons are numbered by the database: compare links with each person read as (name, masked ID)
    def person_links(t, persons):
        who = {p["person_key"]: (p["name"], p["id_masked"]) for p in persons.to_pylist()}
        return Counter((lk["kind"], who.get(lk["src"], lk["src"]), lk["dst"], lk["share_bp"]) for lk in t.to_pylist())

    assert person_links(back["links"], back["persons"]) == person_links(pop.links, pop.persons)
    assert Counter(map(tuple, (s.values() for s in back["signals"].to_pylist()))) == \
        Counter(map(tuple, (s.values() for s in pop.signals.to_pylist())))

    again = ent.import_files(session, SUPERVISOR, _files(paths), TODAY)  # re-import changes nothing
    assert (again.enterprises_new, again.enterprises_updated, again.persons_new, again.links_new,
            again.signals_new) == (0, 0, 0, 0, 0)


def test_the_command_line_import_accepts_the_files(users, tmp_path):
    _pop, paths = write_import_files(tmp_path, n=600, rings=1, seed=9)  # dated up to the real today
    out = run("finreg", "enterprises", "import", *map(str, paths), "--json", user="supervisor")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["enterprises_new"] == 600 and data["links_new"] > 2000 and data["signals_new"] > 0
