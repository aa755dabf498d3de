"""Benchmark: the library's monthly bridges against the same bridges written in DuckDB SQL.

For each dataset size it generates the flat CSV if missing (``generate.py``, seeded), then runs,
each in a fresh subprocess (so peak memory is that tool's alone):

* ``library``: ``expansion_revenue.load_flat_csv(path)`` then ``expansion_revenue.bridge_series(
  ds, date(2021, 12, 31), date(2024, 12, 31), freq="month", attribution=False)``, load and bridge
  timed separately;
* ``library+attribution``: the same with ``attribution=True`` (the default), which also splits
  every expansion and contraction into upsell, cross-sell, add-on and pricing parts;
* ``duckdb-event``: ``duckdb_bridge.event_bridge`` (MRR change events, accumulated per customer);
* ``duckdb-dense``: ``duckdb_bridge.dense_bridge`` (every customer x every month-end).

It prints a markdown table (size, tool, load s, bridge s, total s, peak MB, total time relative to
DuckDB event-based), writes it to ``benchmarks/results/latest.md``, and checks that every monthly
figure (starting, new, reactivation, expansion, contraction, churn, ending) is exactly equal, as
Decimals, across the tools.

Usage::

    python benchmarks/run.py [--sizes 10000 100000 1000000] [--skip-generate] [--timeout 3600]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import generate

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / "data"
RESULTS_FILE = HERE / "results" / "latest.md"
START = datetime.date(2021, 12, 31)
END = datetime.date(2024, 12, 31)
TOOLS = ("library", "library+attribution", "duckdb-event", "duckdb-dense")
BASELINE = "duckdb-event"
FIGURES = ("starting_mrr", "new", "reactivation", "expansion", "contraction", "churn", "ending_mrr")
MAX_DIFFERENCES_SHOWN = 12

#: One month's figures as exact decimal strings, keyed by the month-end's ISO date.
Months = dict[str, dict[str, str]]


# ---------------------------------------------------------------------------------------------
# child side: run one tool on one file, print one JSON line


def peak_mb() -> float:
    """This process's peak resident memory in MB (``ru_maxrss`` is KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_library(path: Path, attribution: bool) -> tuple[float, float, Months, str]:
    """Load and bridge with ``expansion_revenue``; returns load s, bridge s, figures, a note.

    ``attribution=False`` times the bridges alone (the figures DuckDB computes);
    ``attribution=True`` also splits every expansion and contraction into categories.

    Raises:
        ImportError: the package or one of the two functions is not available.
    """
    import expansion_revenue as er

    note = ""
    load_flat_csv: Callable[[Path], Any] | None = getattr(er, "load_flat_csv", None)
    if load_flat_csv is None:  # not exported yet: fall back to the loader module, and say so
        try:
            from expansion_revenue.load.csv_files import load_flat_csv as module_loader
        except ImportError as error:
            raise ImportError(f"expansion_revenue.load_flat_csv is missing ({error})") from error
        load_flat_csv, note = module_loader, "loader: expansion_revenue.load.csv_files.load_flat_csv"
    bridge_series: Callable[..., Any] | None = getattr(er, "bridge_series", None)
    if bridge_series is None:
        raise ImportError("expansion_revenue.bridge_series is missing")
    started = time.perf_counter()
    dataset = load_flat_csv(path)
    loaded = time.perf_counter()
    series = bridge_series(dataset, START, END, freq="month", attribution=attribution)
    done = time.perf_counter()
    months: Months = {}
    for bridge in series.bridges:
        figures = {name: str(getattr(bridge, name)) for name in FIGURES}
        fx = getattr(bridge, "fx", Decimal(0))
        if fx != 0:  # one currency, so any fx movement is a difference
            figures["fx"] = str(fx)
        months[str(bridge.end)] = figures
    return loaded - started, done - loaded, months, note


def run_duckdb(path: Path, variant: str, threads: int | None) -> tuple[float, float, Months, str]:
    """Load and bridge with one DuckDB variant; returns load s, bridge s, figures, a note."""
    import duckdb
    import duckdb_bridge

    con = duckdb_bridge.connect(threads)
    started = time.perf_counter()
    duckdb_bridge.load(con, path)
    loaded = time.perf_counter()
    bridges = duckdb_bridge.VARIANTS[variant](con, START, END)
    done = time.perf_counter()
    months = {str(b.month_end): {name: str(getattr(b, name)) for name in FIGURES} for b in bridges}
    used = con.execute("SELECT current_setting('threads')").fetchone()
    note = f"duckdb {duckdb.__version__}, {used[0] if used else '?'} threads"
    return loaded - started, done - loaded, months, note


def child(tool: str, path: Path, threads: int | None) -> int:
    """Run ``tool`` on ``path`` and print its timings, peak memory and figures as one JSON line."""
    report: dict[str, Any] = {"tool": tool}
    try:
        if tool.startswith("library"):
            load_s, bridge_s, months, note = run_library(path, tool == "library+attribution")
        else:
            load_s, bridge_s, months, note = run_duckdb(path, tool.removeprefix("duckdb-"), threads)
    except ImportError as error:
        report["unavailable"] = f"{type(error).__name__}: {error}"
    else:
        report.update(load_s=load_s, bridge_s=bridge_s, months=months, note=note)
    report["peak_mb"] = peak_mb()
    print(json.dumps(report))
    return 0


# ---------------------------------------------------------------------------------------------
# parent side: orchestrate, compare, report


@dataclass
class Result:
    """What one tool did on one dataset size."""

    size: int
    tool: str
    load_s: float | None = None
    bridge_s: float | None = None
    peak_mb: float | None = None
    months: Months = field(default_factory=dict)
    note: str = ""
    failure: str = ""

    @property
    def total_s(self) -> float | None:
        """Load plus bridge seconds, when both ran."""
        if self.load_s is None or self.bridge_s is None:
            return None
        return self.load_s + self.bridge_s


def measure(tool: str, path: Path, size: int, timeout: float, threads: int | None) -> Result:
    """Run ``tool`` on ``path`` in a fresh interpreter, with a wall-clock ``timeout``."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", tool, str(path)]
    if threads is not None:
        command += ["--duckdb-threads", str(threads)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Result(size, tool, failure=f"timeout after {timeout:g} s")
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Result(size, tool, failure=f"exit {done.returncode}: {tail}")
    report = json.loads(lines[-1])
    if "unavailable" in report:
        return Result(size, tool, peak_mb=report["peak_mb"],
                      failure=f"not available ({report['unavailable']})")
    return Result(size, tool, report["load_s"], report["bridge_s"], report["peak_mb"],
                  report["months"], report.get("note", ""))


def differences(reference: Result, other: Result) -> list[str]:
    """Every (month, figure) where ``other`` differs from ``reference``, compared as Decimals."""
    found: list[str] = []
    months = sorted(set(reference.months) | set(other.months))
    for month in months:
        ours, theirs = reference.months.get(month), other.months.get(month)
        if ours is None or theirs is None:
            found.append(f"{month}: only in {reference.tool if theirs is None else other.tool}")
            continue
        for name in sorted(set(ours) | set(theirs)):
            a, b = Decimal(ours.get(name, "0")), Decimal(theirs.get(name, "0"))
            if a != b:
                found.append(f"{month} {name}: {reference.tool} {a} vs {other.tool} {b} (diff {b - a})")
    return found


def check(results: Sequence[Result]) -> list[str]:
    """Compare every tool that ran against the DuckDB event-based figures of the same size."""
    lines: list[str] = []
    for size in sorted({r.size for r in results}):
        ran = {r.tool: r for r in results if r.size == size and not r.failure}
        reference = ran.get(BASELINE)
        if reference is None:
            lines.append(f"- {size:,}: no {BASELINE} figures to compare with")
            continue
        for tool, result in ran.items():
            if tool == BASELINE:
                continue
            found = differences(reference, result)
            if not found:
                lines.append(f"- {size:,}: {tool} vs {BASELINE}: results match "
                             f"({len(result.months)} months x {len(FIGURES)} figures, exact)")
                continue
            lines.append(f"- {size:,}: {tool} vs {BASELINE}: {len(found)} differences")
            lines += [f"  - {item}" for item in found[:MAX_DIFFERENCES_SHOWN]]
    return lines


def seconds(value: float | None) -> str:
    """A duration cell."""
    return "" if value is None else f"{value:.2f}"


def table(results: Sequence[Result], rows_by_size: dict[int, int]) -> list[str]:
    """The markdown timings table; the ratio is total time over DuckDB event-based total time."""
    out = ["| size (customers) | rows | tool | load s | bridge s | total s | peak MB | x DuckDB event |",
           "|---:|---:|---|---:|---:|---:|---:|---:|"]
    for result in results:
        base = next((r.total_s for r in results if r.size == result.size and r.tool == BASELINE), None)
        total = result.total_s
        ratio = f"{total / base:.1f}x" if total is not None and base else ""
        rows = rows_by_size.get(result.size)
        if result.failure:
            tool = f"{result.tool}: {result.failure}"
            out.append(f"| {result.size:,} | {'' if rows is None else f'{rows:,}'} | {tool} "
                       "| | | | | |")
            continue
        out.append(f"| {result.size:,} | {'' if rows is None else f'{rows:,}'} | {result.tool} "
                   f"| {seconds(result.load_s)} | {seconds(result.bridge_s)} | {seconds(total)} "
                   f"| {result.peak_mb:.0f} | {ratio} |")
    return out


def machine() -> str:
    """One line describing where the numbers came from."""
    try:
        load = "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        load = "load average unknown"
    return (f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"{load} at the end of the run")


def count_rows(path: Path) -> int:
    """Data rows in a CSV (lines minus the header)."""
    with path.open("rb") as stream:
        return sum(1 for _ in stream) - 1


def prepare(size: int, seed: int, skip_generate: bool, log: list[str]) -> Path | None:
    """The CSV for ``size`` customers, generated if missing (unless ``skip_generate``)."""
    path = DATA_DIR / f"flat_{size}.csv"
    if path.exists():
        log.append(f"- {size:,} customers: reused {path.relative_to(HERE.parent)}")
        return path
    if skip_generate:
        log.append(f"- {size:,}: {path} missing and --skip-generate given: skipped")
        return None
    print(f"generating {path} ...", flush=True)
    rows, took = generate.generate_file(size, seed, path)
    log.append(f"- {size:,} customers: generated {rows:,} rows in {took:.1f} s (seed {seed})")
    return path


def report(results: list[Result], rows_by_size: dict[int, int], generation: list[str],
           notes: list[str], correctness: list[str], args: argparse.Namespace) -> str:
    """The whole markdown report."""
    parts = [
        "# Benchmark: expansion_revenue vs DuckDB SQL, monthly bridges Jan 2022 - Dec 2024",
        "",
        f"Run {datetime.datetime.now().isoformat(timespec='seconds')}; {machine()}.",
        f"Command: `python benchmarks/run.py --sizes {' '.join(map(str, args.sizes))}"
        f"{' --skip-generate' if args.skip_generate else ''} --timeout {args.timeout:g}`",
        "",
        *table(results, rows_by_size),
        "",
        "Correctness (every monthly figure, as exact Decimals):",
        "",
        *(correctness or ["- nothing to compare"]),
    ]
    if generation:
        parts += ["", "Data generation:", "", *generation]
    if notes:
        parts += ["", "Notes:", "", *sorted(set(notes))]
    return "\n".join(parts) + "\n"


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description="Time expansion_revenue against DuckDB SQL.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                        help="numbers of customers (one dataset each)")
    parser.add_argument("--skip-generate", action="store_true",
                        help="do not generate missing datasets; skip those sizes")
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per tool and size")
    parser.add_argument("--duckdb-threads", type=int, default=None,
                        help="DuckDB threads (default: all cores; the library uses one)")
    parser.add_argument("--out", type=Path, default=RESULTS_FILE)
    parser.add_argument("--child", nargs=2, metavar=("TOOL", "PATH"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or, with the internal ``--child``, one measurement)."""
    args = parse(argv)
    if args.child:
        return child(args.child[0], Path(args.child[1]), args.duckdb_threads)
    results: list[Result] = []
    rows_by_size: dict[int, int] = {}
    generation: list[str] = []
    notes: list[str] = []
    tools = [BASELINE, *(t for t in TOOLS if t != BASELINE)]
    for size in args.sizes:
        path = prepare(size, args.seed, args.skip_generate, generation)
        if path is None:
            continue
        rows_by_size[size] = count_rows(path)
        for tool in (t for t in tools if t in args.tools):
            print(f"{size:,} customers: {tool} ...", flush=True)
            result = measure(tool, path, size, args.timeout, args.duckdb_threads)
            print(f"  {result.failure or f'total {seconds(result.total_s)} s'}", flush=True)
            results.append(result)
            if result.note:
                notes.append(f"- {result.tool}: {result.note}")
    text = report(results, rows_by_size, generation, notes, check(results), args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
