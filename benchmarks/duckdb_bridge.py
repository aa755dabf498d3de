"""The library's monthly snapshot bridge written directly in DuckDB SQL: the benchmark's baseline.

Same semantics as ``expansion_revenue`` with its default policy (see ``/work/shared/DESIGN.md``
sections 2 and 3), entity = customer:

* a line counts on day ``d`` when ``start_date <= d < end_date``; its discount applies while
  ``d < discount_end_date``;
* line MRR = unit price x quantity x (1 - discount) x monthly factor (1/n for n months, 1/(12n) for
  n years, 52/(12n) for weeks, 365/(12n) for days), computed in integer micro-units (1e-6) and
  rounded half-even once when it does not terminate, as the library does;
* MRR of month M is the snapshot on M's last day; the bridge of M runs from the previous month-end
  to M's month-end, per customer: new (prev = 0 < cur, never paid before), reactivation
  (prev = 0 < cur, paid before), expansion, contraction, churn.

All sums are HUGEINT micro-units, so nothing is ever a float; :class:`MonthBridge` turns them into
exact Decimals. Two variants:

* :func:`event_bridge`: MRR deltas at line starts, discount ends and line ends, summed per customer
  per month and accumulated, so only (customer, month) pairs where something changed exist;
* :func:`dense_bridge`: every customer x every month-end, summing the lines active on that day.

Usage::

    python benchmarks/duckdb_bridge.py benchmarks/data/flat_10000.csv --variant event
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

__all__ = [
    "FIGURES",
    "VARIANTS",
    "MonthBridge",
    "connect",
    "dense_bridge",
    "event_bridge",
    "load",
]

#: The seven figures of a month's bridge, in display order (named as on the library's bridge).
FIGURES = ("starting_mrr", "new", "reactivation", "expansion", "contraction", "churn", "ending_mrr")

MICRO = 1_000_000

_COLUMNS = {
    "customer_id": "VARCHAR",
    "contract_id": "VARCHAR",
    "line_id": "VARCHAR",
    "product_id": "VARCHAR",
    "product_kind": "VARCHAR",
    "plan_id": "VARCHAR",
    "plan_tier": "INTEGER",
    "quantity": "BIGINT",
    "unit_price": "DECIMAL(18,6)",
    "currency": "VARCHAR",
    "interval_count": "INTEGER",
    "interval_unit": "VARCHAR",
    "discount": "DECIMAL(18,6)",
    "start_date": "DATE",
    "end_date": "DATE",
    "discount_end_date": "DATE",
}

# q = a // b with remainder r, rounded half-even (what Python's round() does on a Fraction);
# for non-negative HUGEINTs. Taking q and r as arguments keeps to one division per value.
_MACROS = """
CREATE OR REPLACE MACRO round_half_even(q, r, b) AS
    q + CASE WHEN 2 * r > b OR (2 * r = b AND q % 2 = 1) THEN 1 ELSE 0 END;
"""

# Every usable line with its MRR before (mrr_disc) and after (mrr_full) its discount ends, in
# micro-units. Factor numerator/denominator: month 1/n, year 1/(12n), week 52/(12n), day 365/(12n).
# HUGEINT division is slow, so rows whose numerators fit in BIGINT (all realistic ones) divide as
# BIGINT; larger ones fall back to HUGEINT, so the result is exact either way.
_TERMS = """
factors AS (
    SELECT customer_id, start_date, end_date, discount_end_date,
           CASE WHEN unit_price < 1000000 THEN CAST(CAST(unit_price * 1000000 AS BIGINT) AS HUGEINT)
                ELSE CAST(CAST(unit_price AS DECIMAL(38, 6)) * 1000000 AS HUGEINT) END * quantity
               * CASE interval_unit WHEN 'week' THEN 52 WHEN 'day' THEN 365 ELSE 1 END AS base,
           CAST(interval_count AS BIGINT) * CASE interval_unit WHEN 'month' THEN 1 ELSE 12 END AS den,
           1000000 - CAST(coalesce(discount, 0) * 1000000 AS BIGINT) AS keep
    FROM flat_lines
    WHERE end_date IS NULL OR start_date < end_date
),
quotients AS (
    SELECT *,
           CASE WHEN base < 4000000000000 THEN CAST(base AS BIGINT) // den
                ELSE base // den END AS q_full,
           CASE WHEN base < 4000000000000 THEN CAST(base AS BIGINT) * keep // (den * 1000000)
                ELSE base * keep // (den * 1000000) END AS q_disc
    FROM factors
),
terms AS MATERIALIZED (
    SELECT customer_id, start_date, end_date, discount_end_date,
           round_half_even(q_full, base - q_full * den, den) AS mrr_full,
           round_half_even(q_disc, base * keep - q_disc * den * 1000000, den * 1000000) AS mrr_disc
    FROM quotients
),
first_paid AS (
    -- the first day each customer had MRR > 0 (line MRRs are never negative, so it is the
    -- earliest day any one line is worth something)
    SELECT customer_id, min(day) AS first_day FROM (
        SELECT customer_id,
               CASE WHEN mrr_disc > 0 AND (discount_end_date IS NULL OR discount_end_date > start_date)
                    THEN start_date
                    WHEN mrr_full > 0 AND discount_end_date IS NOT NULL
                         AND (end_date IS NULL OR discount_end_date < end_date)
                    THEN greatest(start_date, discount_end_date)
               END AS day
        FROM terms
    ) WHERE day IS NOT NULL GROUP BY customer_id
),
month_ends AS (
    SELECT CAST(last_day(month_start) AS DATE) AS month_end
    FROM generate_series(CAST($t0_month AS TIMESTAMP), CAST($t1 AS TIMESTAMP), INTERVAL 1 MONTH)
        AS g(month_start)
)
"""

# Classify each (customer, month) move and total the movements per month; then the running
# ending MRR. Needs a CTE `moves(customer_id, month_end, prev, cur)` for months after t0 and a
# scalar `starting0` (MRR at t0).
_CLASSIFY = """
classified AS (
    SELECT mv.month_end,
           CASE WHEN mv.prev = 0 AND mv.cur > 0 AND (fp.first_day IS NULL
                     OR fp.first_day > CAST(date_trunc('month', mv.month_end) AS DATE) - 1)
                THEN mv.cur ELSE 0 END AS new,
           CASE WHEN mv.prev = 0 AND mv.cur > 0
                     AND fp.first_day <= CAST(date_trunc('month', mv.month_end) AS DATE) - 1
                THEN mv.cur ELSE 0 END AS reactivation,
           CASE WHEN mv.prev > 0 AND mv.cur > mv.prev THEN mv.cur - mv.prev ELSE 0 END AS expansion,
           CASE WHEN mv.cur > 0 AND mv.cur < mv.prev THEN mv.cur - mv.prev ELSE 0 END AS contraction,
           CASE WHEN mv.prev > 0 AND mv.cur = 0 THEN -mv.prev ELSE 0 END AS churn
    FROM moves mv LEFT JOIN first_paid fp USING (customer_id)
    WHERE mv.cur <> mv.prev
),
per_month AS (
    SELECT e.month_end,
           CAST(coalesce(sum(c.new), 0) AS HUGEINT) AS new,
           CAST(coalesce(sum(c.reactivation), 0) AS HUGEINT) AS reactivation,
           CAST(coalesce(sum(c.expansion), 0) AS HUGEINT) AS expansion,
           CAST(coalesce(sum(c.contraction), 0) AS HUGEINT) AS contraction,
           CAST(coalesce(sum(c.churn), 0) AS HUGEINT) AS churn
    FROM month_ends e LEFT JOIN classified c USING (month_end)
    WHERE e.month_end > $t0
    GROUP BY e.month_end
),
running AS (
    SELECT *, (SELECT total FROM starting0)
              + sum(new + reactivation + expansion + contraction + churn)
                OVER (ORDER BY month_end ROWS UNBOUNDED PRECEDING) AS ending_mrr
    FROM per_month
)
SELECT month_end,
       ending_mrr - (new + reactivation + expansion + contraction + churn) AS starting_mrr,
       new, reactivation, expansion, contraction, churn, ending_mrr
FROM running ORDER BY month_end
"""

EVENT_SQL = f"""
WITH {_TERMS},
events AS (
    SELECT customer_id, start_date AS day,
           CASE WHEN discount_end_date <= start_date THEN mrr_full ELSE mrr_disc END AS delta
    FROM terms
    UNION ALL
    SELECT customer_id, discount_end_date, mrr_full - mrr_disc
    FROM terms
    WHERE mrr_full <> mrr_disc AND discount_end_date > start_date
      AND (end_date IS NULL OR discount_end_date < end_date)
    UNION ALL
    SELECT customer_id, end_date,
           -CASE WHEN discount_end_date < end_date THEN mrr_full ELSE mrr_disc END
    FROM terms WHERE end_date IS NOT NULL
),
monthly AS (
    -- everything before the first month-end lands on it: that is the starting point
    SELECT customer_id, greatest(CAST(last_day(day) AS DATE), $t0) AS month_end, sum(delta) AS delta
    FROM events WHERE day <= $t1
    GROUP BY ALL
),
levels AS (
    SELECT customer_id, month_end,
           sum(delta) OVER (PARTITION BY customer_id ORDER BY month_end ROWS UNBOUNDED PRECEDING) AS cur
    FROM monthly
),
moves AS (
    SELECT customer_id, month_end, cur,
           coalesce(lag(cur) OVER (PARTITION BY customer_id ORDER BY month_end), 0) AS prev
    FROM levels
),
starting0 AS (SELECT CAST(coalesce(sum(cur), 0) AS HUGEINT) AS total FROM levels WHERE month_end = $t0),
{_CLASSIFY}
"""

DENSE_SQL = f"""
WITH {_TERMS},
customers AS (SELECT DISTINCT customer_id FROM terms),
active AS (
    SELECT t.customer_id, e.month_end,
           sum(CASE WHEN e.month_end >= t.discount_end_date THEN t.mrr_full ELSE t.mrr_disc END) AS mrr
    FROM terms t JOIN month_ends e
      ON t.start_date <= e.month_end AND (t.end_date IS NULL OR e.month_end < t.end_date)
    GROUP BY ALL
),
grid AS (
    SELECT c.customer_id, e.month_end, coalesce(a.mrr, 0) AS cur
    FROM customers c CROSS JOIN month_ends e
    LEFT JOIN active a ON a.customer_id = c.customer_id AND a.month_end = e.month_end
),
lagged AS (
    SELECT customer_id, month_end, cur,
           lag(cur) OVER (PARTITION BY customer_id ORDER BY month_end) AS prev
    FROM grid
),
moves AS (SELECT * FROM lagged WHERE prev IS NOT NULL),
starting0 AS (SELECT CAST(coalesce(sum(cur), 0) AS HUGEINT) AS total FROM grid WHERE month_end = $t0),
{_CLASSIFY}
"""


@dataclass(frozen=True)
class MonthBridge:
    """One month's bridge, exact Decimals (currency units), as DuckDB computed it."""

    month_end: datetime.date
    starting_mrr: Decimal
    new: Decimal
    reactivation: Decimal
    expansion: Decimal
    contraction: Decimal
    churn: Decimal
    ending_mrr: Decimal

    def figures(self) -> tuple[Decimal, ...]:
        """The seven figures in :data:`FIGURES` order."""
        return tuple(getattr(self, name) for name in FIGURES)

    def balances(self) -> bool:
        """Whether starting + movements == ending, exactly."""
        moves = self.new + self.reactivation + self.expansion + self.contraction + self.churn
        return self.starting_mrr + moves == self.ending_mrr


def from_micro(value: int) -> Decimal:
    """Integer micro-units as an exact Decimal (``1500000`` -> ``Decimal('1.500000')``)."""
    return Decimal(int(value)).scaleb(-6)


def connect(threads: int | None = None) -> Any:
    """A fresh in-memory DuckDB connection with the helper macros; ``threads=None``: all cores."""
    con = duckdb.connect(":memory:")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    con.execute(_MACROS)
    return con


def load(con: Any, path: Path) -> int:
    """Read the flat CSV at ``path`` into table ``flat_lines``; return its row count."""
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in _COLUMNS.items())
    literal = str(path).replace("'", "''")
    con.execute(
        f"CREATE OR REPLACE TABLE flat_lines AS SELECT * FROM read_csv('{literal}', header = true, "
        f"delim = ',', quote = '\"', nullstr = '', dateformat = '%Y-%m-%d', columns = {{{columns}}})"
    )
    row = con.execute("SELECT count(*) FROM flat_lines").fetchone()
    return int(row[0]) if row is not None else 0


def _run(con: Any, sql: str, t0: datetime.date, t1: datetime.date) -> list[MonthBridge]:
    """Execute one bridge query for month-ends ``t0`` .. ``t1``."""
    for day in (t0, t1):
        if (day + datetime.timedelta(days=1)).day != 1:
            raise ValueError(f"{day} is not a month-end")
    params = {"t0": t0, "t1": t1, "t0_month": t0.replace(day=1)}
    rows = con.execute(sql, params).fetchall()
    return [MonthBridge(row[0], *(from_micro(value) for value in row[1:])) for row in rows]


def event_bridge(con: Any, t0: datetime.date, t1: datetime.date) -> list[MonthBridge]:
    """Monthly bridges over (t0, t1] from MRR change events (table ``flat_lines`` must exist)."""
    return _run(con, EVENT_SQL, t0, t1)


def dense_bridge(con: Any, t0: datetime.date, t1: datetime.date) -> list[MonthBridge]:
    """Monthly bridges over (t0, t1] from a dense customer x month-end grid."""
    return _run(con, DENSE_SQL, t0, t1)


VARIANTS: dict[str, Callable[[Any, datetime.date, datetime.date], list[MonthBridge]]] = {
    "event": event_bridge,
    "dense": dense_bridge,
}


def format_table(bridges: list[MonthBridge]) -> str:
    """The bridges as a plain-text table, two decimals for display."""
    lines = ["month_end   " + " ".join(f"{name:>16}" for name in FIGURES)]
    for bridge in bridges:
        cells = " ".join(f"{value:>16,.2f}" for value in bridge.figures())
        lines.append(f"{bridge.month_end}  {cells}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: load one CSV, run one variant, print the bridges and the timings."""
    parser = argparse.ArgumentParser(description="Monthly MRR bridge in DuckDB SQL.")
    parser.add_argument("path", type=Path)
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="event")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--start", type=datetime.date.fromisoformat, default=datetime.date(2021, 12, 31))
    parser.add_argument("--end", type=datetime.date.fromisoformat, default=datetime.date(2024, 12, 31))
    args = parser.parse_args(argv)
    con = connect(args.threads)
    started = time.perf_counter()
    rows = load(con, args.path)
    loaded = time.perf_counter()
    bridges = VARIANTS[args.variant](con, args.start, args.end)
    done = time.perf_counter()
    print(format_table(bridges))
    print(f"{rows} rows; load {loaded - started:.3f} s, bridge {done - loaded:.3f} s; "
          f"balanced: {all(b.balances() for b in bridges)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
