"""The command line: ``expansion-revenue COMMAND ...`` (also ``python -m expansion_revenue``).

Presentation only: each command loads data, calls the engine and formats what it returns.

Commands:
    mrr: MRR, paying customers and ARR at the end of each month.

Data comes from the bundled example (``--example``), a flat CSV of contract lines (``--flat``)
or a folder of normalized tables (``--folder``). Bad input exits with status 2 and one line on
stderr naming the file, row and column of the first problem (and how many more there are).

>>> main(["mrr", "--example", "--start", "2024-11", "--end", "2024-12"])
month  MRR USD  customers  ARR USD
2024-11 ...
2024-12 ...
0
"""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

from expansion_revenue.dataset import Dataset
from expansion_revenue.engine.mrr import mrr_snapshot
from expansion_revenue.errors import (
    DataProblem,
    ExpansionRevenueError,
    InvalidDataError,
    InvalidPeriodError,
)
from expansion_revenue.examples import load_example, load_example_fx
from expansion_revenue.fx import FxRates
from expansion_revenue.load import load_csv_folder, load_flat_csv, load_fx_csv
from expansion_revenue.money import quantize
from expansion_revenue.periods import series_boundaries

__all__ = ["main"]

PROG = "expansion-revenue"
#: The months the bundled example covers.
EXAMPLE_MONTHS = ("2023-01", "2024-12")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status.

    >>> main(["mrr", "--flat", "no-such-file.csv"])
    2
    """
    parser = _parser()
    args = parser.parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.command
    try:
        return command(args)
    except InvalidDataError as error:
        _fail(_first_problem(error.problems))
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        _fail(f"{where}{error.strerror or error}")
    except ExpansionRevenueError as error:
        _fail(str(error))
    return 2


def _fail(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def _first_problem(problems: Sequence[DataProblem]) -> str:
    """``FILE: row N, column 'C': message (+K more)``: one line for a list of problems."""
    first = problems[0]
    where = f"{first.source}: " if first.source else ""
    column = f", column '{first.field}'" if first.field else ""
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{where}{first.record_id}{column}: {first.message}{more}"


def _month(text: str) -> str:
    """A ``YYYY-MM`` argument, checked."""
    try:
        return f"{datetime.date.fromisoformat(f'{text.strip()}-01'):%Y-%m}"
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month (YYYY-MM)") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Where recurring revenue came from and where it went.")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    mrr = commands.add_parser("mrr", help="MRR, paying customers and ARR at the end of each month",
                              description="MRR, customers with MRR > 0 and ARR at each month end.")
    _data_arguments(mrr)
    mrr.add_argument("--start", type=_month, metavar="YYYY-MM", help="first month (default: the data's)")
    mrr.add_argument("--end", type=_month, metavar="YYYY-MM", help="last month (default: the data's)")
    mrr.set_defaults(command=_mrr)
    return parser


def _data_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--example", action="store_true", help="the bundled example data")
    source.add_argument("--flat", type=Path, metavar="FILE.csv", help="a flat CSV of contract lines")
    source.add_argument("--folder", type=Path, metavar="DIR",
                        help="a folder with customers.csv, products.csv, plans.csv, lines.csv")
    parser.add_argument("--fx", type=Path, metavar="FILE.csv",
                        help="FX rates (currency,date,rate) into the reporting currency "
                             "(the example brings its own)")
    parser.add_argument("--currency", metavar="CODE",
                        help="reporting currency (default: USD with FX rates, else the data's)")


def _load(args: argparse.Namespace) -> tuple[Dataset, FxRates | None]:
    if args.example:
        dataset, fx = load_example(), load_example_fx()
    elif args.flat is not None:
        dataset, fx = load_flat_csv(args.flat), None
    else:
        dataset, fx = load_csv_folder(args.folder), None
    if args.fx is not None:
        fx = load_fx_csv(args.fx, target=args.currency or "USD")
    return dataset, fx


def _data_months(dataset: Dataset) -> tuple[str, str]:
    """The first and last month (``YYYY-MM``) with a line's first or last day (today's if none)."""
    days = [ref.line.start for ref in dataset.lines]
    days += [ref.line.end - datetime.timedelta(days=1) for ref in dataset.lines if ref.line.end]
    first, last = (min(days), max(days)) if days else (datetime.date.today(),) * 2
    return f"{first:%Y-%m}", f"{last:%Y-%m}"


def _mrr(args: argparse.Namespace) -> int:
    dataset, fx = _load(args)
    first, last = EXAMPLE_MONTHS if args.example else _data_months(dataset)
    first, last = args.start or first, args.end or last
    if first > last:  # YYYY-MM texts sort as their months do
        raise InvalidPeriodError(f"--start {first} is after --end {last}")
    rows = []
    currency = args.currency or ""
    for day in series_boundaries(first, last, "month", "end")[1:]:  # [0] closes the month before
        snapshot = mrr_snapshot(dataset, day, currency=args.currency, fx=fx)
        currency = snapshot.currency
        paying = sum(1 for value in snapshot.by_customer.values() if value > 0)
        rows.append((f"{day:%Y-%m}", _amount(snapshot.total), str(paying), _amount(snapshot.arr)))
    _print_table(("month", f"MRR {currency}", "customers", f"ARR {currency}"), rows)
    return 0


def _print_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    """Columns aligned: the first to the left, the others (numbers) to the right."""
    table = [header, *rows]
    widths = [max(len(row[column]) for row in table) for column in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                        for column, (cell, width) in enumerate(zip(row, widths, strict=True))))


def _amount(value: Decimal) -> str:
    return f"{quantize(value, 2):,}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
