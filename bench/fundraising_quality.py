"""Quality of the illegal-fundraising risk index on a synthetic population with planted rings and honest decoys
(gzgov.finreg.fundraising.synthetic): precision and recall at the top 100 and 500, written into
docs/fundraising-model.md under the line `<!-- filled by bench/fundraising_quality.py -->` (everything from that
line to the next heading is replaced; the marker stays, so reruns work).

Usage: python bench/fundraising_quality.py [--companies 200000] [--rings 100] [--seed 20211029] [--no-write]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "fundraising-model.md"
MARKER = "<!-- filled by bench/fundraising_quality.py -->"
TODAY = date(2025, 10, 1)  # the population is dated as of this day, so the figures do not drift with the clock
KIND_NAMES = {"licensed": "licensed investment advisers and fund managers (licence on record) 持牌投顾、私募",
              "investment_name": "named 投资/财富/投资控股, no adverts 名称含投资、财富但无广告",
              "consumer": "consumer firms with steady complaints (prepaid cards) 有投诉的消费类企业",
              "elderly_care": "elderly-care homes 养老机构", "group": "legitimate corporate groups 正常企业集团",
              "chain": "retail chains opening branches fast 快速开店的连锁企业",
              "business_centre_neighbour": "ordinary tenants of the business centres rings use 与团伙同址的正常企业"}


def measure(companies: int, rings: int, seed: int) -> dict:
    from gzgov.finreg.fundraising import scoring
    from gzgov.finreg.fundraising.synthetic import generate

    t = time.perf_counter()
    pop = generate(companies, rings=rings, seed=seed, today=TODAY)
    generated = time.perf_counter() - t
    print(f"generated {companies:,} companies, {pop.links.num_rows:,} links in {generated:.1f} s", file=sys.stderr)
    model = scoring.load_model()
    t = time.perf_counter()
    results = scoring.score_all(scoring.Inputs(**pop.tables()), model, TODAY)
    scored = time.perf_counter() - t
    print(f"scored in {scored:.1f} s", file=sys.stderr)
    score = {r.credit_code: r.score for r in results}
    order = sorted(pop.enterprises["credit_code"].to_pylist(), key=lambda c: (-score.get(c, 0), c))
    planted = pop.planted
    cuts = {}
    for k in (100, 500, len(planted)):
        hit = len(set(order[:k]) & planted)
        cuts[k] = (hit / k, hit / len(planted))
    decoy_scores = np.array([score.get(c, 0) for c in pop.decoys])
    planted_scores = np.array([score.get(c, 0) for c in planted])
    top = set(order[:len(planted)])
    kinds = defaultdict(list)
    for c, k in pop.decoy_kinds.items():
        kinds[k].append(score.get(c, 0))
    return {"companies": companies, "links": pop.links.num_rows, "signals": pop.signals.num_rows,
            "rings": len(pop.rings), "planted": len(planted), "decoys": len(pop.decoys), "seed": seed,
            "model": str(model.version), "cuts": cuts, "generated_s": generated, "scored_s": scored,
            "planted_median": float(np.median(planted_scores)), "decoy_p95": float(np.percentile(decoy_scores, 95)),
            "decoy_max": int(decoy_scores.max()), "above_all_decoys": float((planted_scores > decoy_scores.max()).mean()),
            "rings_in_top": sum(1 for r in pop.rings if r & top),
            "rings_half_in_top": sum(1 for r in pop.rings if len(r & top) * 2 >= len(r)),
            "warned": sum(1 for r in results if model.level_for(r.score) is not None),
            "kinds": {k: (len(v), float(np.median(v)), float(np.percentile(v, 95)), max(v)) for k, v in kinds.items()}}


def markdown(m: dict) -> str:
    p = m["planted"]
    lines = [
        f"Measured by `bench/fundraising_quality.py` on {date.today()} (model {m['model']}): a synthetic population "
        f"of {m['companies']:,} companies and {m['links']:,} registry links (seed {m['seed']}, as of {TODAY}) with "
        f"**{m['rings']} planted rings of {p:,} companies** and **{m['decoys']:,} honest decoys**; "
        f"{m['signals']:,} signals. Generated in {m['generated_s']:.1f} s, scored in {m['scored_s']:.1f} s. "
        "Reproduce with `.venv/bin/python bench/fundraising_quality.py`.",
        "",
        "| cut 截取 | precision 查准率 | recall 查全率 |",
        "| --- | --- | --- |",
    ]
    for k, (prec, rec) in m["cuts"].items():
        label = f"top {k:,}" if k != p else f"top {k:,} (= the number of ring companies)"
        lines.append(f"| {label} | {prec:.1%} | {rec:.1%} |")
    lines += [
        "",
        f"The median ring company scores {m['planted_median']:.0f}; the 95th-percentile decoy {m['decoy_p95']:.0f} and "
        f"the highest decoy {m['decoy_max']}; {m['above_all_decoys']:.0%} of ring companies score above the highest "
        f"decoy. {m['rings_in_top']} of {m['rings']} rings have a company in the top {p:,}, {m['rings_half_in_top']} "
        f"at least half their companies. {m['warned']:,} companies reach the warning threshold.",
        "",
        "| decoy kind 干扰项 | companies | median score | 95th percentile | highest |",
        "| --- | --- | --- | --- | --- |",
    ]
    for k, (count, med, p95, top) in sorted(m["kinds"].items(), key=lambda kv: -kv[1][0]):
        lines.append(f"| {KIND_NAMES.get(k, k)} | {count:,} | {med:.0f} | {p95:.0f} | {top} |")
    lines += ["", "The population and what makes a ring or a decoy: `gzgov.finreg.fundraising.synthetic`. A test "
              "(tests/unit/test_fundraising_quality.py) keeps the rings above the decoys on 20,000 companies."]
    return "\n".join(lines)


def write(block: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if MARKER not in text:
        raise SystemExit(f"{DOC} has no line {MARKER}; the figures are printed above")
    start = text.index(MARKER) + len(MARKER)
    nxt = re.search(r"^#", text[start:], flags=re.M)
    end = start + nxt.start() if nxt else len(text)
    DOC.write_text(f"{text[:start]}\n\n{block}\n\n{text[end:].lstrip(chr(10))}", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--companies", type=int, default=200_000)
    ap.add_argument("--rings", type=int, default=100)
    ap.add_argument("--seed", type=int, default=20211029)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    block = markdown(measure(a.companies, a.rings, a.seed))
    print(block)
    if not a.no_write:
        write(block)


if __name__ == "__main__":
    main()
