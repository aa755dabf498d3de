"""Benchmark: ``load_flat_csv`` against a bare ``csv.reader`` pass over the same file.

The machine's speed moves from run to run (shared cores, page cache), so the loader's time is
reported next to a baseline measured in the same process just before: reading every row of the
file with the standard library's ``csv.reader`` and doing nothing with it. The ratio (load time /
baseline time) is what to compare between runs and machines.

Usage::

    python benchmarks/load_bench.py benchmarks/data/flat_100000.csv [--repeat 3] [--profile]

``--repeat N`` runs the baseline and the load N times each, alternating, and reports the fastest
of each; ``--profile`` prints the top of a cProfile of one load instead. Peak memory is the
process's resident peak (``ru_maxrss``) after the loads: the interpreter, the imports and the
largest dataset held at once (one at a time: each is dropped before the next load).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import gc
import pstats
import resource
import sys
import time
from pathlib import Path


def peak_mb() -> float:
    """This process's peak resident memory in MB (``ru_maxrss`` is KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def read_csv(path: Path) -> tuple[float, int]:
    """Seconds to read every row of ``path`` with ``csv.reader``, and the number of data rows."""
    started = time.perf_counter()
    rows = -1  # the header is not a data row
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for _ in csv.reader(handle):
            rows += 1
    return time.perf_counter() - started, rows


def load(path: Path) -> tuple[float, str]:
    """Seconds to ``load_flat_csv(path)``, and the dataset's repr."""
    from expansion_revenue import load_flat_csv

    started = time.perf_counter()
    dataset = load_flat_csv(path)
    elapsed = time.perf_counter() - started
    shown = repr(dataset)
    del dataset
    gc.collect()
    return elapsed, shown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="a flat CSV of contract lines (see generate.py)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest is reported")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one load")
    args = parser.parse_args(argv)
    import expansion_revenue  # noqa: F401  (imports are not part of the timing)

    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(load, args.path)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        return 0
    baseline, loaded, rows, shown = float("inf"), float("inf"), 0, ""
    for _ in range(max(1, args.repeat)):
        seconds, rows = read_csv(args.path)
        baseline = min(baseline, seconds)
        seconds, shown = load(args.path)
        loaded = min(loaded, seconds)
    print(f"{args.path.name}: {rows} rows -> {shown}")
    print(f"csv.reader     {baseline:8.3f} s")
    print(f"load_flat_csv  {loaded:8.3f} s   {loaded / baseline:6.1f}x csv.reader")
    print(f"peak memory    {peak_mb():8.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
