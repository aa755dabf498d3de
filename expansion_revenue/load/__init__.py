"""Loaders: Python records or CSV files in, a validated :class:`~expansion_revenue.Dataset` out.

Two shapes of input:

- **normalized tables** (:mod:`~expansion_revenue.load.tables`): customers, products, plans and
  contract lines, one record kind per table: :func:`dataset_from_tables`,
  :func:`load_csv_folder`;
- **one flat table** of contract lines, as a warehouse or billing export
  (:mod:`~expansion_revenue.load.flat`): :func:`dataset_from_flat_records`,
  :func:`load_flat_csv`.

and FX tables (:mod:`~expansion_revenue.load.fx_rates`): :func:`fx_rates_from_records`,
:func:`load_fx_csv`.

Every problem in the input is collected and raised together as one
:class:`~expansion_revenue.errors.InvalidDataError`; each
:class:`~expansion_revenue.errors.DataProblem` names the row (``row N`` in a CSV file, where the
header is row 1; ``record N`` for Python records, counted from 1), the column and the file.
Nothing is dropped: a free or zero-quantity line is loaded like any other.

>>> from expansion_revenue import load_flat_csv, example_path
>>> load_flat_csv(example_path("saas_lines.csv")).customer("acme").name
'Acme Corp'
"""

from expansion_revenue.load.csv_files import load_csv_folder, load_flat_csv
from expansion_revenue.load.flat import dataset_from_flat_records
from expansion_revenue.load.fx_rates import fx_rates_from_records, load_fx_csv
from expansion_revenue.load.tables import dataset_from_tables

__all__ = [
    "dataset_from_flat_records",
    "dataset_from_tables",
    "fx_rates_from_records",
    "load_csv_folder",
    "load_flat_csv",
    "load_fx_csv",
]
