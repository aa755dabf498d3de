"""The command line: ``expansion-revenue COMMAND ...`` (also ``python -m expansion_revenue``).

Presentation only: each command loads data, calls the engine and formats what it returns.

Commands:
    validate: load the data and summarize it, or list every problem in it.
    mrr: MRR, paying customers and ARR at the end of each month.
    bridge: the revenue bridge (MRR waterfall) of one period.
    series: consecutive bridges, one per week, month, quarter or year.
    attribution: a period's expansion and contraction split into categories.
    metrics: NRR, GRR, churn and expansion rates, quick ratio, ARPA, LTV.
    cohorts: revenue retention by cohort and months since start.

Data comes from the bundled example (``--example``, with its own FX rates), a flat CSV of
contract lines (``--flat``) or a folder of normalized tables (``--folder``). ``--format`` picks
a plain-text table (default), CSV, JSON (the result's ``model_dump(mode="json")``: exact
Decimals as strings) or an HTML page. Bad input exits with status 2 and one line on stderr
naming the file, row and column of the first problem (and how many more there are);
``validate`` lists them all. ``docs/how-to/command-line.md`` has the full reference.

Engine modules only one command uses are imported by that command, to keep start-up short.

>>> main(["mrr", "--example", "--start", "2024-11", "--end", "2024-12"])
month  MRR USD  customers  ARR USD
2024-11 ...
2024-12 ...
0
"""

from __future__ import annotations

import argparse
import csv
import datetime
import html
import importlib.util
import io
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, cast

from dateutil.relativedelta import relativedelta
from pydantic import ValidationError

from expansion_revenue.dataset import Dataset
from expansion_revenue.engine.bridge import bridge_series, revenue_bridge
from expansion_revenue.engine.mrr import mrr_snapshot
from expansion_revenue.errors import (
    DataProblem,
    ExpansionRevenueError,
    InvalidDataError,
    MissingExtraError,
    MissingRateError,
)
from expansion_revenue.examples import example_path, load_example, load_example_fx
from expansion_revenue.fx import FxRates
from expansion_revenue.load import load_csv_folder, load_flat_csv, load_fx_csv
from expansion_revenue.models import ContractLine
from expansion_revenue.money import quantize
from expansion_revenue.periods import Frequency, month_end, series_boundaries
from expansion_revenue.policy import Policy
from expansion_revenue.records import field_values
from expansion_revenue.results.bridge import COMPONENTS, Bridge
from expansion_revenue.results.metrics import METRIC_NAMES, MetricsSeries, RevenueMetrics

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from expansion_revenue.display.tables import Presentable, Table
    from expansion_revenue.results.attribution import Attribution, BreakdownKey
    from expansion_revenue.results.breakdowns import Breakdown
    from expansion_revenue.results.cohorts import CohortTable

__all__ = ["PROG", "CliError", "Progress", "main"]

PROG = "expansion-revenue"
#: The months the bundled example covers.
EXAMPLE_MONTHS = ("2023-01", "2024-12")
FORMATS = ("table", "csv", "json", "html")
FREQUENCIES = ("week", "month", "quarter", "year")
METHODS = ("snapshot", "events")
#: What ``attribution --by`` groups the parts by.
ATTRIBUTION_KEYS = ("category", "product", "tier", "plan", "add_on", "entity")
#: The cohort cell fields ``cohorts --value`` shows.
COHORT_VALUES = ("revenue_retention", "gross_retention", "expansion_rate", "logo_retention")
NOT_AVAILABLE = "n/a"
#: Months per calendar-aligned period.
_CALENDAR = {"quarter": 3, "year": 12}

_LABELS = {"starting_mrr": "starting MRR", "ending_mrr": "ending MRR", "arr": "ARR", "nrr": "NRR",
           "grr": "GRR", "arpa": "ARPA", "ltv": "LTV"}
_PERCENT_METRICS = frozenset(name for name in METRIC_NAMES if name.endswith("_rate")) | {"nrr", "grr"}
#: The metrics a per-period or per-group table shows (every one is in CSV, JSON and HTML).
_TABLE_METRICS = ("nrr", "grr", "expansion_rate", "contraction_rate", "revenue_churn_rate",
                  "logo_churn_rate", "quick_ratio")


class CliError(Exception):
    """Input the command line cannot use (an option out of range, a period that ends first).

    Reported like every bad input: one line on stderr, exit status 2.
    """


class Progress:
    """Phases of long work, one line each on stderr: ``loading FILE…``, ``done in 1.2 s``.

    Presentation only: the engine and the loaders know nothing of it. The command line reports
    the phases around the calls it makes (loading, computing, writing). Finer progress (rows
    read, entities walked) needs a callback in the loaders and the engine, which do not offer
    one yet: that hook is a to-do for the library (see ``docs/how-to/command-line.md``).

    Args:
        enabled: whether to print anything (the command line's default: stderr is a terminal).
        stream: where to print (default: ``sys.stderr`` at the time of printing).
        clock: seconds as a float (default: :func:`time.perf_counter`).

    >>> ticks = iter([0.0, 1.0, 1.25, 3.5])
    >>> progress = Progress(True, sys.stdout, clock=lambda: next(ticks))
    >>> done = progress.step("loading lines.csv")
    expansion-revenue: loading lines.csv…
    >>> done("loaded 3 lines")
    expansion-revenue: loaded 3 lines in 0.25 s
    >>> progress.finish()
    expansion-revenue: done in 3.50 s
    """

    def __init__(self, enabled: bool, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.enabled = enabled
        self._stream = stream
        self._clock = clock
        self._started = clock()

    def __call__(self, message: str) -> None:
        """Print ``message`` as one line (if enabled)."""
        if self.enabled:
            print(f"{PROG}: {message}", file=self._stream or sys.stderr, flush=True)

    def step(self, doing: str) -> Callable[[str], None]:
        """Announce ``doing…``; return a function that reports its end with the time it took."""
        self(f"{doing}…")
        began = self._clock()

        def done(message: str) -> None:
            self(f"{message} in {self._clock() - began:.2f} s")

        return done

    def finish(self) -> None:
        """Report the total time since this object was made."""
        self(f"done in {self._clock() - self._started:.2f} s")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status.

    >>> main(["mrr", "--flat", "no-such-file.csv"])
    2
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version or a usage error (already printed)
        return stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 2
    progress = Progress(sys.stderr.isatty() if args.progress is None else args.progress)
    run: Callable[[argparse.Namespace, Progress], int] = args.run
    try:
        return run(args, progress)
    except InvalidDataError as error:
        _fail(_one_line(error.problems))
    except MissingRateError as error:
        source = _fx_source(args)
        _fail(f"{source}: {error}" if source else str(error))
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly
        _silence_stdout()
        return 1
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        _fail(f"{where}{error.strerror or error}")
    except (ExpansionRevenueError, CliError) as error:
        _fail(str(error))
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    return 2


# -- errors -----------------------------------------------------------------------------------

def _fail(message: str) -> None:
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)


def _where(problem: DataProblem) -> str:
    """``FILE: row N, column 'C': message`` (or ``kind 'id', column 'C': ...`` for records)."""
    source = f"{problem.source}: " if problem.source else ""
    record = problem.record_id
    if not record.startswith(("row ", "record ")):
        record = f"{problem.kind} '{record}'"
    column = f", column '{problem.field}'" if problem.field else ""
    return f"{source}{record}{column}: {problem.message}"


def _one_line(problems: Sequence[DataProblem]) -> str:
    """The first problem, and how many more there are."""
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{_where(problems[0])}{more}"


def _fx_source(args: argparse.Namespace) -> str | None:
    if getattr(args, "fx", None) is not None:
        return str(args.fx)
    return str(example_path("fx_rates.csv")) if getattr(args, "example", False) else None


def _silence_stdout() -> None:
    """Point stdout at devnull, so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout without a file descriptor
        pass


# -- arguments --------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line: ``PROG CMD: error: ... (see --help)``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _when(text: str) -> str:
    """A ``--start``/``--end`` argument: ``YYYY-MM`` or ``YYYY-MM-DD``, checked."""
    value = text.strip()
    try:
        if len(value) == 7:
            datetime.date.fromisoformat(f"{value}-01")
            return value
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a month (YYYY-MM) or a date (YYYY-MM-DD)") from None


def _level(text: str) -> str:
    """A ``--level`` argument, checked by :class:`Policy`."""
    try:
        return Policy(level=text).level
    except ValidationError as error:
        raise argparse.ArgumentTypeError(error.errors()[0]["msg"]) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _version() -> str:
    from expansion_revenue import __version__

    return f"{PROG} {__version__}"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Where recurring revenue came from and where it went.",
                     epilog=f"Run '{PROG} COMMAND --help' for a command's options.")
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    def command(name: str, summary: str, run: Callable[..., Any], *, period: bool = True,
                method: bool = False, level: bool = True, chart: str | None = None,
                tables: Sequence[str] = ()) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=summary, description=summary[0].upper() + summary[1:] + ".")
        _data_arguments(sub)
        if period:
            sub.add_argument("--start", type=_when, metavar="WHEN",
                             help="first month (YYYY-MM) or opening date (YYYY-MM-DD); "
                                  "default: the data's first month (bridge, attribution and "
                                  "metrics of one period: the last twelve months)")
            sub.add_argument("--end", type=_when, metavar="WHEN",
                             help="last month (YYYY-MM) or closing date (YYYY-MM-DD); "
                                  "default: the data's last month")
        if method:
            sub.add_argument("--method", choices=METHODS, default="snapshot",
                             help="compare each entity at the two ends (snapshot, default) or "
                                  "classify every change as it happens (events)")
        if level:
            sub.add_argument("--level", type=_level, default="customer", metavar="LEVEL",
                             help="entity movements are measured on: customer (default), parent, "
                                  "ultimate_parent or attribute:NAME (e.g. attribute:segment)")
        if tables:
            sub.add_argument("--table", choices=tables, default=None,
                             help=f"for table and csv output, show this table of the result "
                                  f"instead of the summary ({', '.join(tables)})")
        if chart:
            sub.add_argument("--chart", type=Path, metavar="FILE.png",
                             help=f"also draw the {chart} into FILE (png, svg or pdf; needs matplotlib)")
        _output_arguments(sub)
        sub.set_defaults(run=run)
        if not chart:
            sub.set_defaults(chart=None)
        return sub

    command("validate", "load the data and summarize it, or list every problem in it", _validate,
            period=False, level=False)
    command("mrr", "MRR, paying customers and ARR at the end of each month", _run_with(_mrr))
    command("bridge", "the revenue bridge (MRR waterfall) of one period", _run_with(_bridge),
            method=True, chart="waterfall", tables=("bridge", "ledger", "entities"))
    series = command("series", "consecutive revenue bridges, one per period", _run_with(_series),
                     method=True, chart="movements per period", tables=("periods", "ledger"))
    series.add_argument("--freq", choices=FREQUENCIES, default="month",
                        help="the length of each period (default: month)")
    attribution = command("attribution", "a period's expansion and contraction split into categories",
                          _run_with(_attribution), method=True, tables=("categories", "parts"))
    attribution.add_argument("--by", choices=ATTRIBUTION_KEYS, default=None,
                             help="sum the parts by category, product, tier, plan, add-on or entity "
                                  "(default: the category tree)")
    metrics = command("metrics", "NRR, GRR, churn and expansion rates, quick ratio, ARPA and LTV",
                      _run_with(_metrics), method=True)
    metrics.add_argument("--freq", choices=FREQUENCIES, default=None,
                         help="metrics of each period (default: one period from --start to --end)")
    metrics.add_argument("--trailing", type=_positive_int, default=None, metavar="N",
                         help="metrics of the trailing N periods at each period (implies --freq "
                              "month unless given), e.g. 12 for trailing-twelve-month NRR")
    metrics.add_argument("--by", default=None, metavar="GROUPING",
                         help="metrics of each group: attribute:NAME, first_revenue_month, product, "
                              "plan, tier or add_on")
    metrics.add_argument("--gross-margin", default=None, metavar="FRACTION",
                         help="gross margin in (0, 1] for LTV (default: LTV of revenue)")
    cohorts = command("cohorts", "revenue retention by cohort and months since start",
                      _run_with(_cohorts), chart="heatmap")
    cohorts.add_argument("--by", default="first_revenue_month", metavar="GROUPING",
                         help="first_revenue_month (default) or attribute:NAME")
    cohorts.add_argument("--value", choices=COHORT_VALUES, default="revenue_retention",
                         help="the cell figure shown in the table and the chart "
                              "(default: revenue_retention)")
    return parser


def _data_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group("data").add_mutually_exclusive_group(required=True)
    source.add_argument("--example", action="store_true",
                        help="the bundled example data (with its FX rates)")
    source.add_argument("--flat", type=Path, metavar="FILE.csv", help="a flat CSV of contract lines")
    source.add_argument("--folder", type=Path, metavar="DIR",
                        help="a folder with customers.csv, products.csv, plans.csv, lines.csv")
    parser.add_argument("--fx", type=Path, metavar="FILE.csv",
                        help="FX rates (currency,date,rate) into the reporting currency "
                             "(the example brings its own)")
    parser.add_argument("--currency", metavar="CODE",
                        help="reporting currency (default: USD with FX rates, else the data's)")


def _output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="plain-text table (default), csv, json (exact) or html")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="report phases and timings on stderr (default: when stderr is a terminal)")


# -- data -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Data:
    """The loaded data and the default period of the commands."""

    dataset: Dataset
    fx: FxRates | None
    first: str  #: the first month with data (``YYYY-MM``)
    last: str  #: the last month with data
    first_bridge: str  #: the first month whose opening day has FX rates for every currency
    policy: Policy


def _load(args: argparse.Namespace, progress: Progress) -> _Data:
    dataset, fx = _load_files(args, progress)
    first, last = EXAMPLE_MONTHS if args.example else _data_months(dataset)
    return _Data(dataset, fx, first, last, _first_bridge_month(first, dataset, fx),
                 Policy(level=getattr(args, "level", "customer")))


def _load_files(args: argparse.Namespace, progress: Progress) -> tuple[Dataset, FxRates | None]:
    fx: FxRates | None = None
    if args.example:
        done = progress.step("loading the bundled example")
        dataset, fx = load_example(), load_example_fx()
    elif args.flat is not None:
        done = progress.step(f"loading {args.flat}")
        dataset = load_flat_csv(args.flat)
    else:
        done = progress.step(f"loading {args.folder}")
        dataset = load_csv_folder(args.folder)
    if args.fx is not None:
        fx = load_fx_csv(args.fx, target=args.currency or "USD")
    done(f"loaded {dataset.line_count} lines ({len(dataset.customers)} customers)")
    return dataset, fx


def _line_dates(dataset: Dataset) -> list[tuple[datetime.date, datetime.date | None]]:
    """Every line's ``(start, end)``, read from the lines' values (no line object is built)."""
    return [(start, end) for contract in dataset.contracts
            for _, _, _, _, start, end, _, _ in field_values(contract.lines, ContractLine)]


def _data_days(
    dates: list[tuple[datetime.date, datetime.date | None]],
) -> tuple[datetime.date, datetime.date] | None:
    """The first and last day with a line (a line's last day is the one before its end).

    ``dates``: every line's ``(start, end)``, as :func:`_line_dates` gives them.
    """
    if not dates:
        return None
    days = [start for start, _ in dates]
    days += [end - datetime.timedelta(days=1) for _, end in dates if end]
    return min(days), max(days)


def _data_months(dataset: Dataset) -> tuple[str, str]:
    """The first and last month (``YYYY-MM``) with data; open-ended lines run to this month."""
    today = datetime.date.today()
    dates = _line_dates(dataset)
    span = _data_days(dates)
    first, last = span if span is not None else (today, today)
    if any(end is None for _, end in dates):
        last = max(last, today)
    return f"{first:%Y-%m}", f"{last:%Y-%m}"


def _first_bridge_month(first: str, dataset: Dataset, fx: FxRates | None) -> str:
    """The first month whose opening day has a rate for every foreign currency of the data.

    A bridge of month M opens on the last day of month M - 1 and values movements at that day's
    rates, so the default period starts no earlier (without FX rates: the data's first month).
    """
    if fx is None:
        return first
    starts = [fx.change_dates(code)[0] for code in dataset.currencies() - {fx.target}
              if fx.change_dates(code)]
    if not starts:
        return first
    after = max(starts) + relativedelta(months=1)
    return max(first, f"{after:%Y-%m}")


def _first_day(when: str) -> datetime.date:
    return datetime.date.fromisoformat(f"{when}-01" if len(when) == 7 else when)


def _last_day(when: str) -> datetime.date:
    return month_end(_first_day(when)) if len(when) == 7 else datetime.date.fromisoformat(when)


def _period(args: argparse.Namespace, data: _Data, *, bridges: bool,
            freq: str | None = None, trailing_year: bool = False) -> tuple[str, str]:
    """``--start`` and ``--end``, or the data's months, checked for order.

    The default start of quarterly and yearly periods is the first calendar quarter or year that
    starts in the data (if one does; else the data's first month). A single bridge
    (``trailing_year``) defaults to the last twelve months of the data, the usual reporting
    window, since a bridge over the whole history only shows everyone as new.
    """
    end = args.end or data.last
    start = args.start or (data.first_bridge if bridges else data.first)
    if trailing_year and args.start is None:
        year_before = _first_day(end[:7]) - relativedelta(months=11)
        start = max(start, f"{year_before:%Y-%m}")
    if args.start is None and freq in _CALENDAR:
        year, month = int(start[:4]), int(start[5:7])
        step = _CALENDAR[freq]
        aligned = datetime.date(year, 1, 1) + relativedelta(months=-(-(month - 1) // step) * step)
        if aligned <= _last_day(end):
            start = f"{aligned:%Y-%m}"
    if _first_day(start) > _last_day(end):
        first = f"--start {start}" if args.start else f"the data's first month {start}"
        last = f"--end {end}" if args.end else f"the data's last month {end}"
        raise CliError(f"{first} is after {last}")
    return start, end


# -- output -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Report:
    """One command's answer in every format, each built only when asked for."""

    title: str
    text: Callable[[], list[str]]
    csv: Callable[[], tuple[Sequence[str], list[Sequence[str]]]]
    json: Callable[[], object]
    html: Callable[[], str]
    chart: Callable[[], Figure] | None = None


def _run_with(build: Callable[[argparse.Namespace, _Data, Progress], _Report]
              ) -> Callable[[argparse.Namespace, Progress], int]:
    """A command: load, compute (``build``), draw the chart, write the output."""

    def run(args: argparse.Namespace, progress: Progress) -> int:
        if args.chart is not None and importlib.util.find_spec("matplotlib") is None:
            raise MissingExtraError("matplotlib", "charts")
        report = build(args, _load(args, progress), progress)
        if args.chart is not None and report.chart is not None:
            _save_chart(report.chart, args.chart, progress)
        _write(report, args.format)
        progress.finish()
        return 0

    return run


def _save_chart(draw: Callable[[], Figure], path: Path, progress: Progress) -> None:
    done = progress.step(f"drawing {path}")
    figure = draw()
    try:
        figure.savefig(path, dpi=120)
    except ValueError as error:  # matplotlib: an unsupported file type
        raise CliError(f"{path}: {error}") from None
    done(f"wrote {path}")


def _write(report: _Report, fmt: str) -> None:
    out = sys.stdout
    if fmt == "json":
        out.write(json.dumps(report.json(), indent=2) + "\n")
    elif fmt == "csv":
        header, rows = report.csv()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    elif fmt == "html":
        if isinstance(out, io.TextIOWrapper):  # any character an encoding lacks as &#NNN;
            out.reconfigure(errors="xmlcharrefreplace")
        out.write(_html_page(report.title, report.html()))
    else:
        lines = ([report.title] if report.title else []) + report.text()
        out.write("".join(f"{line}\n" for line in lines))
    out.flush()


def _html_page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title or PROG)}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def _result_report(result: Presentable, title: str, text: Callable[[], list[str]], *,
                   table: str | None, chosen: bool, chart: Callable[[], Figure] | None = None
                   ) -> _Report:
    """A result's report: JSON is its ``model_dump``, HTML its ``_repr_html_``, CSV ``table``.

    ``chosen``: the user asked for ``table`` (``--table``), so the text output shows it too.
    """
    def csv_rows() -> tuple[Sequence[str], list[Sequence[str]]]:
        return _table_rows(_table_of(result, table), _csv_cell)

    def text_lines() -> list[str]:
        if not chosen:
            return text()
        found = _table_of(result, table)
        header, rows = _table_rows(found, _text_cell)
        numeric = [column.kind in ("amount", "integer") for column in found.columns]
        return _grid(header, rows, numeric)

    return _Report(title, text_lines, csv_rows, lambda: result.model_dump(mode="json"),
                   lambda: _html_of(result, title, text), chart)


def _table_of(result: Presentable, table: str | None) -> Table:
    from expansion_revenue.display.tables import table_of

    return table_of(result, table)


def _table_rows(table: Table, cell: Callable[[object], str]) -> tuple[Sequence[str], list[Sequence[str]]]:
    rows = [tuple(cell(column.values[i]) for column in table.columns) for i in range(len(table))]
    return table.names, list(rows)


def _html_of(result: object, title: str, text: Callable[[], list[str]]) -> str:
    """The result's notebook HTML, or the text table in a ``<pre>`` if it has none."""
    render = getattr(result, "_repr_html_", None)
    if callable(render):
        return str(render())
    return f"<h1>{html.escape(title)}</h1>\n<pre>{html.escape(chr(10).join(text()))}</pre>"


def _grid(header: Sequence[str] | None, rows: Iterable[Sequence[str]], numeric: Sequence[bool]) -> list[str]:
    """Aligned columns: numbers to the right, text to the left, two spaces apart."""
    table = ([list(header)] if header is not None else []) + [list(row) for row in rows]
    if not table:
        return []
    widths = [max(len(row[i]) for row in table) for i in range(len(numeric))]
    return ["  ".join(cell.rjust(width) if right else cell.ljust(width)
                      for cell, width, right in zip(row, widths, numeric, strict=True)).rstrip()
            for row in table]


def _html_table(header: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[bool],
                caption: str) -> str:
    def cells(row: Sequence[str], tag: str) -> str:
        return "".join(f"<{tag} style=\"text-align:{'right' if right else 'left'}\">"
                       f"{html.escape(cell)}</{tag}>" for cell, right in zip(row, numeric, strict=True))

    body = "\n".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows)
    return (f"<table>\n<caption>{html.escape(caption)}</caption>\n"
            f"<thead><tr>{cells(header, 'th')}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>")


def _amount(value: Decimal | None) -> str:
    """An amount for reading: rounded half-even to cents, with thousands separators."""
    if value is None:
        return NOT_AVAILABLE
    shown = quantize(value, 2)
    return f"{shown if shown else abs(shown):,.2f}"


def _percent(value: Decimal | None, places: int = 2) -> str:
    """A ratio as a percentage (``1.05`` is ``105.00%``)."""
    if value is None:
        return NOT_AVAILABLE
    shown = quantize(value.scaleb(2), places)
    return f"{shown if shown else abs(shown):,.{places}f}%"


def _exact(value: Decimal) -> str:
    """A Decimal's exact digits, never in exponent form."""
    return format(value, "f")


def _csv_cell(value: object) -> str:
    """A CSV cell: exact numbers, ISO dates, empty for none, ids joined by ``;``."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return _exact(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, tuple):
        return ";".join(str(item) for item in value)
    return str(value)


def _text_cell(value: object) -> str:
    """A text-table cell: amounts to cents, the rest as in CSV."""
    return _amount(value) if isinstance(value, Decimal) else _csv_cell(value)


def _span(start: object, end: object, currency: str, *details: str) -> str:
    return f"{start} to {end} ({', '.join((currency, *details))})"


def _entities(level: str) -> str:
    return "customers" if level == "customer" else "entities"


# -- validate ---------------------------------------------------------------------------------

def _validate(args: argparse.Namespace, progress: Progress) -> int:
    """Load everything, collecting the problems of the data and of the FX file together."""
    problems: list[DataProblem] = []
    dataset: Dataset | None = None
    fx: FxRates | None = None
    done = progress.step(f"checking {_source(args)}")
    try:
        if args.example:
            dataset = load_example()
        elif args.flat is not None:
            dataset = load_flat_csv(args.flat)
        else:
            dataset = load_csv_folder(args.folder)
    except InvalidDataError as error:
        problems += error.problems
    try:
        if args.fx is not None:
            fx = load_fx_csv(args.fx, target=args.currency or "USD")
        elif args.example:
            fx = load_example_fx()
    except InvalidDataError as error:
        problems += error.problems
    done(f"checked {_source(args)}")
    if problems or dataset is None:
        for problem in problems:
            print(_where(problem), file=sys.stderr)
        count = len(problems)
        _fail(f"{count} problem{'s' if count != 1 else ''} found")
        return 2
    _write(_summary_report(args, dataset, fx), args.format)
    progress.finish()
    return 0


def _source(args: argparse.Namespace) -> str:
    if args.example:
        return str(example_path("saas_lines.csv"))
    return str(args.flat if args.flat is not None else args.folder)


def _summary_report(args: argparse.Namespace, dataset: Dataset, fx: FxRates | None) -> _Report:
    dates = _line_dates(dataset)
    span = _data_days(dates)
    currencies = sorted(dataset.currencies())
    notes = []
    if fx is None and len(currencies) > 1:
        notes.append(f"several currencies ({', '.join(currencies)}): pass --fx FILE with rates "
                     "into the reporting currency to report them together")
    rates: dict[str, dict[str, object]] = {}
    if fx is not None:
        for code in sorted(fx.rates):
            days = fx.change_dates(code)
            rates[code] = {"rates": len(days), "first": days[0].isoformat() if days else None,
                           "last": days[-1].isoformat() if days else None}
        notes += [f"no FX rates from {code} into {fx.target}"
                  for code in currencies if code != fx.target and code not in rates]
    summary: dict[str, object] = {
        "source": _source(args),
        "valid": True,
        "customers": len(dataset.customers),
        "products": len(dataset.products),
        "plans": len(dataset.plans),
        "contracts": len(dataset.contracts),
        "lines": dataset.line_count,
        "open_ended_lines": sum(1 for _, end in dates if end is None),
        "first_day": span[0].isoformat() if span else None,
        "last_day": span[1].isoformat() if span else None,
        "currencies": currencies,
        "fx": None if fx is None else {"target": fx.target, "source": _fx_source(args), "currencies": rates},
        "notes": notes,
    }
    rows = [(key.replace("_", " "), str(summary[key])) for key in
            ("customers", "products", "plans", "contracts", "lines", "open_ended_lines")]
    rows += [("first day", str(summary["first_day"] or NOT_AVAILABLE)),
             ("last day", str(summary["last_day"] or NOT_AVAILABLE)),
             ("currencies", ", ".join(currencies) or NOT_AVAILABLE)]
    if fx is not None:
        rows += [(f"fx {code} -> {fx.target}", f"{info['rates']} rates, {info['first']} to {info['last']}")
                 for code, info in rates.items()]
    rows += [("note", note) for note in notes]
    title = f"{summary['source']}: no problems found"
    numeric = (False, False)
    return _Report(
        title,
        lambda: _grid(None, rows, numeric),
        lambda: (("item", "value"), list(rows)),
        lambda: summary,
        lambda: _html_table(("item", "value"), rows, numeric, title),
    )


# -- mrr --------------------------------------------------------------------------------------

def _mrr(args: argparse.Namespace, data: _Data, progress: Progress) -> _Report:
    start, end = _period(args, data, bridges=False)
    days = series_boundaries(start[:7], end[:7], "month", data.policy.month_snapshot)[1:]
    done = progress.step(f"computing {len(days)} month-end snapshots")
    snapshots = [mrr_snapshot(data.dataset, day, currency=args.currency, fx=data.fx, policy=data.policy)
                 for day in days]  # [0] of the boundaries closes the month before
    done(f"computed {len(snapshots)} snapshots")
    currency = snapshots[-1].currency if snapshots else (args.currency or "")
    who = _entities(data.policy.level)
    header = ("month", f"MRR {currency}", who, f"ARR {currency}")
    numeric = (False, True, True, True)

    def paying(index: int) -> int:
        return sum(1 for value in snapshots[index].by_entity.values() if value > 0)

    def rows() -> list[tuple[str, ...]]:
        return [(f"{s.at:%Y-%m}", _amount(s.total), str(paying(i)), _amount(s.arr))
                for i, s in enumerate(snapshots)]

    def records() -> list[dict[str, str | int]]:
        """One per month, amounts exact: the snapshots' totals (their lines stay in the API)."""
        return [{"month": f"{s.at:%Y-%m}", "at": s.at.isoformat(), "currency": s.currency,
                 "mrr": _exact(s.total), who: paying(i), "arr": _exact(s.arr)}
                for i, s in enumerate(snapshots)]

    def csv_rows() -> tuple[Sequence[str], list[Sequence[str]]]:
        found = records()
        return (("month", "at", "currency", "mrr", who, "arr"),
                [tuple(str(value) for value in record.values()) for record in found])

    title = f"MRR by month {_span(start, end, currency, f'{data.policy.level} level')}"
    return _Report("", lambda: _grid(header, rows(), numeric), csv_rows, records,
                   lambda: _html_table(header, rows(), numeric, title))


# -- bridge, series, attribution --------------------------------------------------------------

def _bridge_details(bridge: Bridge) -> tuple[str, ...]:
    return f"{bridge.method} method", f"{bridge.policy.level} level"


def _bridge(args: argparse.Namespace, data: _Data, progress: Progress) -> _Report:
    start, end = _period(args, data, bridges=True, trailing_year=True)
    done = progress.step(f"computing the bridge {start} to {end}")
    bridge = revenue_bridge(data.dataset, start, end, method=args.method, currency=args.currency,
                            fx=data.fx, policy=data.policy)
    done(f"computed the bridge ({len(bridge.ledger)} movements)")

    def text() -> list[str]:
        rows = [("starting MRR", _amount(bridge.starting_mrr))]
        rows += [(f"  {name}", _amount(value)) for name, value in bridge.components.items()]
        rows += [("ending MRR", _amount(bridge.ending_mrr)), ("net change", _amount(bridge.net_change))]
        return _grid(None, rows, (False, True))

    title = f"revenue bridge {_span(bridge.start, bridge.end, bridge.currency, *_bridge_details(bridge))}"
    return _result_report(bridge, title, text, table=args.table or "bridge",
                          chosen=args.table is not None, chart=bridge.plot)


def _series_rows(bridges: Sequence[Bridge]) -> list[tuple[str, ...]]:
    return [(str(b.end), _amount(b.starting_mrr), *(_amount(v) for v in b.components.values()),
             _amount(b.ending_mrr)) for b in bridges]


def _series(args: argparse.Namespace, data: _Data, progress: Progress) -> _Report:
    start, end = _period(args, data, bridges=True, freq=args.freq)
    count = len(series_boundaries(start, end, args.freq, data.policy.month_snapshot)) - 1
    done = progress.step(f"computing {count} bridge{'s' if count != 1 else ''} ({args.freq}ly)")
    series = bridge_series(data.dataset, start, end, freq=args.freq, method=args.method,
                           currency=args.currency, fx=data.fx, policy=data.policy, attribution=False)
    done(f"computed {len(series.bridges)} bridges")
    bridges = series.bridges
    currency = bridges[0].currency if bridges else (args.currency or "")
    details = (f"{args.method} method", f"{data.policy.level} level")
    first, last = (bridges[0].start, bridges[-1].end) if bridges else (start, end)
    title = f"revenue bridges by {args.freq} {_span(first, last, currency, *details)}"

    def text() -> list[str]:
        rows = _series_rows(bridges)
        if bridges:  # the summary of one bridge is that bridge
            total = series.summary if len(bridges) > 1 else bridges[0]
            rows.append(("total", *_series_rows((total,))[0][1:]))
        header = ("end", "starting", *COMPONENTS, "ending")
        return _grid(header, rows, (False, *(True,) * (len(header) - 1)))

    return _result_report(series, title, text, table=args.table or "periods",
                          chosen=args.table is not None, chart=series.plot)


def _attribution(args: argparse.Namespace, data: _Data, progress: Progress) -> _Report:
    start, end = _period(args, data, bridges=True, trailing_year=True)
    done = progress.step(f"attributing the bridge {start} to {end}")
    bridge = revenue_bridge(data.dataset, start, end, method=args.method, currency=args.currency,
                            fx=data.fx, policy=data.policy)
    attribution = bridge.attribution
    if attribution is None:  # pragma: no cover - revenue_bridge attributes by default
        raise CliError("the bridge has no attribution")
    done(f"attributed {len(attribution.parts)} parts")
    title = (f"expansion attribution "
             f"{_span(attribution.start, attribution.end, attribution.currency, *_bridge_details(bridge))}")
    if args.by is not None:
        return _attribution_breakdown(attribution, args.by, title)

    def text() -> list[str]:
        totals = [(f"net {name}", _amount(getattr(attribution, name)))
                  for name in ("expansion", "contraction", "fx")]
        roots = {node for node in attribution.tree if "." not in node}
        tree = [(f"{'  ' * node.count('.')}{node.rsplit('.', 1)[-1]}", _amount(value))
                for node, value in attribution.tree.items() if value or node in roots]
        return [*_grid(None, totals, (False, True)), "",
                *_grid(("category (gross)", attribution.currency), tree, (False, True))]

    return _result_report(attribution, title, text, table=args.table or "categories",
                          chosen=args.table is not None)


def _attribution_breakdown(attribution: Attribution, by: str, title: str) -> _Report:
    groups = attribution.breakdown(cast("BreakdownKey", by))
    roots = [node for node in attribution.categories.nodes() if "." not in node]
    header = (by, *roots)
    numeric = (False, *(True,) * len(roots))
    zero = Decimal(0)

    def rows(cell: Callable[[Decimal], str]) -> list[Sequence[str]]:
        return [(key, *(cell(sums.get(root, zero)) for root in roots)) for key, sums in groups.items()]

    payload = {"start": attribution.start.isoformat(), "end": attribution.end.isoformat(),
               "currency": attribution.currency, "by": by,
               "groups": {key: {root: _exact(sums.get(root, zero)) for root in roots}
                          for key, sums in groups.items()}}
    title = f"{title}, by {by}"
    return _Report(title, lambda: _grid(header, rows(_amount), numeric),
                   lambda: (header, rows(_exact)), lambda: payload,
                   lambda: _html_table(header, rows(_amount), numeric, title))


# -- metrics ----------------------------------------------------------------------------------

def _metric(name: str, metrics: RevenueMetrics) -> str:
    """One figure of ``metrics`` for reading: a count, a percentage, a ratio or an amount."""
    value = getattr(metrics, name)
    if name.endswith("_entities"):
        return NOT_AVAILABLE if value is None else str(value)
    if name in _PERCENT_METRICS:
        return _percent(value)
    if name == "quick_ratio":
        return NOT_AVAILABLE if value is None else f"{quantize(value, 2):,.2f}"
    return _amount(value)


def _metric_label(name: str, level: str) -> str:
    if name.endswith("_entities"):
        return f"{name.removesuffix('_entities')} {_entities(level)}"
    return _LABELS.get(name, name.replace("_", " "))


def _metrics(args: argparse.Namespace, data: _Data, progress: Progress) -> _Report:
    from expansion_revenue.engine.metrics import period_metrics

    freq = args.freq or ("month" if args.trailing else None)
    start, end = _period(args, data, bridges=True, freq=freq, trailing_year=freq is None)
    if args.by is not None:
        if args.freq is not None or args.trailing is not None:
            raise CliError("--by cannot be combined with --freq or --trailing")
        return _metrics_breakdown(args, data, progress, start, end)
    if args.freq is not None or args.trailing is not None:
        return _metrics_series(args, data, progress, start, end)
    done = progress.step(f"computing the metrics of {start} to {end}")
    metrics = period_metrics(data.dataset, start, end, method=args.method, currency=args.currency,
                             fx=data.fx, policy=data.policy, gross_margin=args.gross_margin)
    done("computed the metrics")
    details = (f"{metrics.method} method", f"{metrics.level} level",
               f"{_exact(metrics.months.normalize())} months")
    title = f"metrics {_span(metrics.start, metrics.end, metrics.currency, *details)}"
    names = ("starting_mrr", *COMPONENTS, "ending_mrr", "arr", "starting_entities",
             "ending_entities", "churned_entities", *METRIC_NAMES)

    def text() -> list[str]:
        rows = [(_metric_label(name, metrics.level), _metric(name, metrics),
                 metrics.reasons.get(name, "")) for name in names]
        return _grid(None, rows, (False, True, False))

    return _result_report(metrics, title, text, table=None, chosen=False)


def _metrics_series(args: argparse.Namespace, data: _Data, progress: Progress,
                    start: str, end: str) -> _Report:
    from expansion_revenue.engine.metrics import trailing_metrics

    freq: Frequency = args.freq or "month"
    window = args.trailing or 1
    count = len(series_boundaries(start, end, freq, data.policy.month_snapshot)) - 1
    done = progress.step(f"computing {count} bridge{'s' if count != 1 else ''} ({freq}ly) and their metrics")
    series = bridge_series(data.dataset, start, end, freq=freq, method=args.method,
                           currency=args.currency, fx=data.fx, policy=data.policy, attribution=False)
    opening = None
    if series.bridges:
        head = series.bridges[0]
        opening = mrr_snapshot(data.dataset, head.start, currency=head.currency, fx=data.fx,
                               policy=data.policy)
    result: MetricsSeries = trailing_metrics(series, window, starting_entities=opening,
                                             gross_margin=args.gross_margin)
    done(f"computed {len(result.metrics)} periods' metrics")
    bridges = series.bridges
    currency = bridges[0].currency if bridges else (args.currency or "")
    first, last = (bridges[0].start, bridges[-1].end) if bridges else (start, end)
    trailing = f", trailing {window} periods" if window > 1 else ""
    title = (f"metrics by {freq}{trailing} "
             f"{_span(first, last, currency, f'{args.method} method', f'{data.policy.level} level')}")
    header = ("end", "starting MRR", "ending MRR",
              *(_metric_label(name, data.policy.level) for name in _TABLE_METRICS))

    def text() -> list[str]:
        rows = [(str(m.end), _amount(m.starting_mrr), _amount(m.ending_mrr),
                 *(_metric(name, m) for name in _TABLE_METRICS)) for m in result.metrics]
        return _grid(header, rows, (False, *(True,) * (len(header) - 1)))

    return _result_report(result, title, text, table=None, chosen=False)


def _metrics_breakdown(args: argparse.Namespace, data: _Data, progress: Progress,
                       start: str, end: str) -> _Report:
    from expansion_revenue.engine.breakdowns import revenue_breakdown

    done = progress.step(f"computing the metrics of {start} to {end} by {args.by}")
    bridge = revenue_bridge(data.dataset, start, end, method=args.method, currency=args.currency,
                            fx=data.fx, policy=data.policy, attribution=False)
    breakdown: Breakdown = revenue_breakdown(data.dataset, bridge, args.by, fx=data.fx,
                                             gross_margin=args.gross_margin)
    done(f"computed the metrics of {len(breakdown.groups)} groups")
    overlap = ", groups overlap" if breakdown.overlapping else ""
    title = (f"metrics by {breakdown.by}{overlap} "
             f"{_span(bridge.start, bridge.end, bridge.currency, *_bridge_details(bridge))}")
    names = ("starting_mrr", "expansion", "contraction", "churn", "ending_mrr")
    header = (breakdown.by, *(_metric_label(n, bridge.policy.level) for n in (*names, *_TABLE_METRICS)))

    def text() -> list[str]:
        rows = [(key, *(_metric(n, m) for n in (*names, *_TABLE_METRICS)))
                for key, m in (*breakdown.groups.items(), ("total", breakdown.total))]
        return _grid(header, rows, (False, *(True,) * (len(header) - 1)))

    return _result_report(breakdown, title, text, table=None, chosen=False)


# -- cohorts ----------------------------------------------------------------------------------

def _cohorts(args: argparse.Namespace, data: _Data, progress: Progress) -> _Report:
    from expansion_revenue.engine.cohorts import cohort_table

    start, end = _period(args, data, bridges=False)
    done = progress.step(f"computing cohorts from {start} to {end}")
    table: CohortTable = cohort_table(data.dataset, start, end, by=args.by, currency=args.currency,
                                      fx=data.fx, policy=data.policy)
    done(f"computed {len(table.rows)} cohorts")
    title = (f"cohorts by {table.by}: {args.value.replace('_', ' ')} by months since start "
             f"{_span(table.start, table.end, table.currency, f'{table.policy.level} level')}")

    def text() -> list[str]:
        months = max((len(row.cells) for row in table.rows), default=0)
        header = ("cohort", "size", *(f"M{k}" for k in range(months)))
        rows = [(row.cohort, str(row.size),
                 *(_percent(getattr(cell, args.value), 1) for cell in row.cells),
                 *("",) * (months - len(row.cells))) for row in table.rows]
        return _grid(header, rows, (False, *(True,) * (len(header) - 1)))

    return _result_report(table, title, text, table=None, chosen=False,
                          chart=lambda: table.plot(args.value))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
