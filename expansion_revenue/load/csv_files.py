"""CSV files in: a folder of normalized tables, or one flat file of contract lines.

Files are read as UTF-8 (a byte-order mark is fine) with the standard library's ``csv`` module,
one row at a time. The header is checked first: a missing required column (or, in the products,
plans and lines tables, an unknown one) is reported once, naming the column and the file, and
the file's rows are not read. Every other problem names the file, the row (the header is row 1,
so the first data row is ``row 2``) and the column. All problems are raised together.
"""

from __future__ import annotations

import csv
import errno
import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from expansion_revenue.dataset import Dataset
from expansion_revenue.errors import DataProblem, InvalidDataError
from expansion_revenue.load._rows import Problems, Row, Rows, Selection, TextSelection
from expansion_revenue.load.flat import FLAT_REQUIRED, flat_dataset
from expansion_revenue.load.tables import (
    LINE_TABLE_COLUMNS,
    PLAN_COLUMNS,
    PRODUCT_COLUMNS,
    REQUIRED,
    tables_dataset,
)

__all__ = ["TABLE_FILES", "csv_rows", "load_csv_folder", "load_flat_csv"]

#: The files of a folder of normalized tables, and their record kinds.
TABLE_FILES = {"customers": "customer", "products": "product", "plans": "plan", "lines": "line"}

_ALLOWED = {"customers": None, "products": PRODUCT_COLUMNS, "plans": PLAN_COLUMNS,
            "lines": LINE_TABLE_COLUMNS}
_HEADER = "header"


def load_flat_csv(path: str | os.PathLike[str]) -> Dataset:
    """Load a dataset from one flat CSV file of contract lines.

    The columns are those of :func:`~expansion_revenue.load.flat.dataset_from_flat_records`
    (any extra column is a customer attribute). Problems are of kind ``row``, name the row as
    ``row N`` (the header is row 1, the first data row is row 2) and the column.

    Args:
        path: the CSV file.

    Raises:
        InvalidDataError: every problem in the file.
        OSError: the file cannot be read (``FileNotFoundError`` when it does not exist).

    >>> from expansion_revenue import example_path
    >>> load_flat_csv(example_path("saas_lines.csv"))
    Dataset(60 customers, 6 products, 13 plans, 61 contracts, 126 lines)
    """
    problems = Problems()
    with csv_rows(Path(path), "row", FLAT_REQUIRED, None, problems) as rows:
        if rows is None:
            raise InvalidDataError(problems.items)
        return flat_dataset(rows, problems)


def load_csv_folder(path: str | os.PathLike[str]) -> Dataset:
    r"""Load a dataset from a folder of normalized tables: customers, products, plans and lines.

    The folder holds ``customers.csv``, ``products.csv``, ``plans.csv`` and ``lines.csv``, with
    the columns of :mod:`expansion_revenue.load.tables`. Problems are of the table's record kind
    (``customer``, ``product``, ``plan``, ``line``), name the row as ``row N`` (the header is row
    1, the first data row is row 2), the column and the file.

    Args:
        path: the folder.

    Raises:
        InvalidDataError: every problem in the four files.
        FileNotFoundError: the folder or one of the four files does not exist.

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "customers.csv").write_text("id,name,segment\nacme,Acme,smb\n")
    >>> _ = (folder / "products.csv").write_text("id,name,kind\ncrm,CRM,core\n")
    >>> _ = (folder / "plans.csv").write_text(
    ...     "id,product_id,name,tier,price,currency,interval_count,interval_unit\n"
    ...     "crm-pro,crm,Pro,2,600,USD,1,year\n")
    >>> _ = (folder / "lines.csv").write_text(
    ...     "contract_id,customer_id,currency,line_id,plan_id,quantity,start_date,end_date\n"
    ...     "k1,acme,USD,l1,crm-pro,10,2024-01-01,\n")
    >>> load_csv_folder(folder)
    Dataset(1 customers, 1 products, 1 plans, 1 contracts, 1 lines)
    """
    folder = Path(path)
    files = {name: folder / f"{name}.csv" for name in TABLE_FILES}
    missing = [str(file) for file in files.values() if not file.is_file()]
    if missing:
        raise FileNotFoundError(errno.ENOENT, "no such file", ", ".join(missing))
    problems = Problems()
    with ExitStack() as stack:
        tables = {name: stack.enter_context(csv_rows(file, TABLE_FILES[name], REQUIRED[name],
                                                     _ALLOWED[name], problems))
                  for name, file in files.items()}
        customers, products, plans, lines = tables.values()
        if customers is None or products is None or plans is None or lines is None:
            raise InvalidDataError(problems.items)
        return tables_dataset(customers, products, plans, lines, problems)


@contextmanager
def csv_rows(path: Path, kind: str, required: frozenset[str], allowed: frozenset[str] | None,
             problems: Problems) -> Iterator[Rows | None]:
    """Open ``path`` and check its header; yield its rows, or ``None`` if the header is unusable.

    Header problems are recorded in ``problems`` (kind ``header``, ``row 1``); so are rows with
    the wrong number of fields and unreadable text (kind ``kind``), which are skipped.

    >>> from expansion_revenue import example_path
    >>> with csv_rows(example_path("fx_rates.csv"), "rate", frozenset({"rate"}), None,
    ...               Problems()) as rows:
    ...     selection = rows.select(["currency", "rate"], frozenset())
    ...     index, values, _ = next(selection.rows)
    >>> rows.label(index), values[selection.positions["rate"]]
    ('row 2', '1.0589')
    """
    source = str(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = [name.strip() for name in next(reader, [])]
        except (csv.Error, UnicodeDecodeError) as error:
            problems.items.append(DataProblem(_HEADER, "row 1", None, f"cannot read the header: {error}",
                                              "unreadable", source))
            yield None
            return
        if not header:
            problems.items.append(DataProblem(_HEADER, "row 1", None, "the file is empty: expected a "
                                              "header row", "empty_file", source))
            yield None
            return
        before = len(problems.items)
        for column in sorted(required - set(header)):
            problems.items.append(DataProblem(_HEADER, "row 1", column,
                                              f"missing required column '{column}'", "missing_column",
                                              source))
        seen: set[str] = set()
        for column in header:
            if column in seen:
                problems.items.append(DataProblem(_HEADER, "row 1", column, "duplicate column",
                                                  "duplicate_column", source))
            elif allowed is not None and column not in allowed:
                problems.items.append(DataProblem(_HEADER, "row 1", column, "unknown column",
                                                  "unknown_column", source))
            seen.add(column)
        if len(problems.items) > before:
            yield None
            return
        yield CsvRows(reader, header, kind, source, problems)


class CsvRows(Rows):
    """The data rows of a CSV file after its header, numbered ``row 2``, ``row 3`` ...

    A row with more or fewer fields than the header, or that cannot be read, is recorded as a
    problem of ``kind`` and skipped; a blank line is not a row. See :func:`csv_rows`.
    """

    def __init__(self, reader: Iterator[list[str]], header: list[str], kind: str, source: str,
                 problems: Problems) -> None:
        self.reader = reader
        self.header = header
        self.kind = kind
        self.source = source
        self.problems = problems
        self.word, self.first = "row", 2
        self._others: dict[frozenset[str], list[tuple[int, str]]] = {}

    def select(self, columns: Sequence[str], text_columns: frozenset[str]) -> Selection:
        return Selection(self._positions(columns), self._rows())

    def text(self, columns: Sequence[str]) -> TextSelection:
        return TextSelection(self._positions(columns), len(self.header), self._text_rows(), self._clean)

    def _positions(self, columns: Sequence[str]) -> dict[str, int]:
        width = len(self.header)
        position = {column: index for index, column in enumerate(self.header)}
        # A column the file lacks reads from the always-empty cell appended to every row.
        return {column: position.get(column, width) for column in columns}

    def _rows(self) -> Iterator[Row]:
        clean = self._clean
        for index, raw in self._text_rows():
            values = clean(index, raw)
            if values is not None:
                yield index, values, values

    def _text_rows(self) -> Iterator[tuple[int, list[str]]]:
        index = -1
        try:
            for index, raw in enumerate(self.reader):
                yield index, raw
        except (csv.Error, UnicodeDecodeError) as error:
            self.problems.add(self, self.kind, index + 1, None, f"cannot read the row: {error}",
                              "unreadable")

    def _clean(self, index: int, raw: list[str]) -> list[Any] | None:
        width = len(self.header)
        if len(raw) == width:
            values: list[Any] = [value.strip() or None for value in raw]
            values.append(None)
            return values
        if raw:  # a blank line is not a row
            self.problems.add(self, self.kind, index, None,
                              f"has {len(raw)} fields but the header has {width}", "row_length")
        return None

    def others(self, raw: Any, known: frozenset[str]) -> dict[str, object]:
        columns = self._others.get(known)
        if columns is None:  # once per table: which positions hold the other (named) columns
            columns = self._others[known] = [(index, column) for index, column in enumerate(self.header)
                                             if column and column not in known]
        # ``raw`` may be the row as read: strip its text here (cleaned values strip to themselves).
        found = {}
        for index, column in columns:
            value = raw[index]
            if value:
                value = value.strip()
                if value:
                    found[column] = value
        return found
