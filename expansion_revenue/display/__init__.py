"""Presentation: DataFrames, HTML tables and charts of the results. It formats; it never computes.

Every figure shown comes from a result object, which checked its own invariants when it was
built; this layer only lays the figures out. The optional libraries (pandas, polars, matplotlib)
are imported inside the functions that need them, so ``import expansion_revenue`` never needs
them; a call that does raises :class:`~expansion_revenue.errors.MissingExtraError` naming the
extra to install. The result classes expose the same functions as methods: ``to_pandas()``,
``to_polars()``, ``_repr_html_()`` (the notebook view) and ``plot()``.

* :mod:`~expansion_revenue.display.tables`: the rows and columns of each result, library-neutral.
* :mod:`~expansion_revenue.display.frames`: those tables as pandas or polars DataFrames.
* :mod:`~expansion_revenue.display.html`: the HTML tables notebooks show.
* :mod:`~expansion_revenue.display.charts`: waterfall, monthly movements and cohort heatmap.

>>> from expansion_revenue import Bridge
>>> from expansion_revenue.display import render_html
>>> "Ending MRR" in render_html(Bridge.empty_example())
True
"""

from expansion_revenue.display.charts import cohort_heatmap, movements_chart, waterfall
from expansion_revenue.display.frames import DecimalMode, to_pandas, to_polars
from expansion_revenue.display.html import render_html
from expansion_revenue.display.tables import Column, Table, table_of

__all__ = [
    "Column",
    "DecimalMode",
    "Table",
    "cohort_heatmap",
    "movements_chart",
    "render_html",
    "table_of",
    "to_pandas",
    "to_polars",
    "waterfall",
]
