"""docs/benchmarks.md is shared by several benchmarks: each owns one section between
`<!-- bench:NAME -->` and `<!-- /bench:NAME -->` and rewrites only that, so running one benchmark keeps the
others' latest figures."""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
HEAD = ("# Benchmarks\n\nEach section below is written by the benchmark it names, on the machine it names; "
        "`make bench` runs them all. Timings are wall-clock seconds of one run, measured here and asserted by no "
        "test; each compares against a plain baseline run in the same benchmark.\n")
ORDER = ["forest", "finreg", "fundraising"]


def peak_mb() -> float:
    """This process's peak resident set, MiB (each benchmark phase runs in a process of its own)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_phase(script: str, name: str, *args: str, env: dict[str, str] | None = None) -> dict:
    """`python SCRIPT --phase NAME ARGS…` in a child process, so that its peak memory is its own; returns the
    JSON object its last line prints, and stops the benchmark if it fails."""
    print(f"  {name} {' '.join(args)} …", file=sys.stderr, flush=True)
    t = time.perf_counter()
    out = subprocess.run([sys.executable, script, "--phase", name, *args], env=env, check=False,
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"phase {name} failed (exit {out.returncode})")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"  {name} done in {time.perf_counter() - t:.1f} s wall, peak {res.get('peak_mb', 0):,.0f} MiB",
          file=sys.stderr, flush=True)
    return res


def serve_phase(phases: dict, name: str, args: list[str]) -> None:
    """The child side of `run_phase`: run phase `name` with its arguments (digits read as integers) and print
    its result as the JSON line the parent reads."""
    print(json.dumps(phases[name](*(int(x) if x.isdigit() else x for x in args))))


def machine() -> str:
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    except OSError:
        pass
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores{f' ({cpu})' if cpu else ''}, {ram:.0f} GiB RAM, {platform.system()} "
            f"{platform.release()}; {platform.python_implementation()} {platform.python_version()}")


def _sections(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2).strip("\n") for m in
            re.finditer(r"<!-- bench:(\w+) -->\n(.*?)\n<!-- /bench:\1 -->", text, flags=re.S)}


def write_section(name: str, markdown: str) -> None:
    """Replace (or add) the section `name` of docs/benchmarks.md, keeping the others."""
    old = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    sections = _sections(old)
    sections[name] = markdown.strip("\n")
    names = [n for n in ORDER if n in sections] + sorted(n for n in sections if n not in ORDER)
    body = "\n\n".join(f"<!-- bench:{n} -->\n{sections[n]}\n<!-- /bench:{n} -->" for n in names)
    DOC.write_text(f"{HEAD}\n{body}\n", encoding="utf-8")
