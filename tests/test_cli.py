"""The command line, run as users run it: ``python -m expansion_revenue ...`` in a subprocess.

Starting the interpreter and importing the library costs about a second per run, so the runs
are made up front, several at a time (the ``runs`` fixture), and the tests read their results.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from expansion_revenue import (
    Bridge,
    example_path,
    load_example,
    load_example_fx,
    mrr_snapshot,
    revenue_bridge,
)
from expansion_revenue.money import quantize
from expansion_revenue.results.bridge import COMPONENTS

FLAT_HEADER = ("customer_id,contract_id,line_id,product_id,product_kind,plan_id,plan_tier,quantity,"
               "unit_price,currency,interval_count,interval_unit,discount,start_date,end_date")
LINE = "acme,k1,{id},crm,core,pro,2,{quantity},600,USD,1,year,,{start},"
COMMANDS = ("validate", "mrr", "bridge", "series", "attribution", "metrics", "cohorts")
FORMATS = ("table", "csv", "json", "html")
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
Run = subprocess.CompletedProcess[str]


def run(*args: str) -> Run:
    return subprocess.run([sys.executable, "-m", "expansion_revenue", *args], capture_output=True,
                          text=True, check=False, timeout=120)


def run_all(argvs: Iterable[tuple[str, ...]]) -> dict[tuple[str, ...], Run]:
    """Every run, a few at a time (they are independent processes)."""
    todo = list(dict.fromkeys(argvs))
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        return dict(zip(todo, pool.map(lambda argv: run(*argv), todo), strict=True))


@dataclass(frozen=True)
class Files:
    """Input files for the runs: bad data, a folder, FX rates that start late, chart paths."""

    root: Path
    missing: Path
    no_start_date: Path
    bad_values: Path
    folder: Path
    late_fx: Path

    def chart(self, command: str) -> Path:
        return self.root / f"{command}.png"


def error_cases(files: Files) -> dict[str, tuple[tuple[str, ...], str]]:
    """Bad input: the arguments, and the message (a regular expression) after ``error: ``."""
    flat = str(example_path("saas_lines.csv"))
    return {
        "missing file": (("bridge", "--flat", str(files.missing)),
                         re.escape(f"{files.missing}: No such file or directory")),
        "missing column": (("bridge", "--flat", str(files.no_start_date)),
                           re.escape(f"{files.no_start_date}: row 1, column 'start_date': "
                                     "missing required column 'start_date'")),
        "bad date and number": (("series", "--flat", str(files.bad_values)),
                                re.escape(f"{files.bad_values}: row 3, column 'start_date': ") + r".+"
                                + re.escape(" (+1 more)")),
        "unknown plan": (("metrics", "--folder", str(files.folder)),
                         re.escape(f"{files.folder / 'lines.csv'}: row 3, column 'plan_id': "
                                   "unknown plan 'crm-gold' (line 'l2')")),
        "unparseable start": (("bridge", "--example", "--start", "2024-13"),
                              re.escape("argument --start: '2024-13' is not a month (YYYY-MM) or a "
                                        "date (YYYY-MM-DD) (see expansion-revenue bridge --help)")),
        "start after end": (("cohorts", "--example", "--start", "2024-05", "--end", "2024-02-10"),
                            re.escape("--start 2024-05 is after --end 2024-02-10")),
        "start after the data": (("series", "--example", "--start", "2030-01"),
                                 re.escape("--start 2030-01 is after the data's last month 2024-12")),
        "bad level": (("attribution", "--example", "--level", "planet"),
                      re.escape("argument --level: level must be 'customer', 'parent', "
                                "'ultimate_parent' or 'attribute:<name>', got 'planet'") + ".*"),
        "missing fx rate": (("bridge", "--flat", flat, "--fx", str(files.late_fx), "--start", "2024-01"),
                            re.escape(f"{files.late_fx}: no FX rate from EUR to USD on or before "
                                      "2023-12-31")),
        "unknown format": (("mrr", "--example", "--format", "xml"),
                           re.escape("argument --format: invalid choice: 'xml'") + ".*"),
        "several currencies": (("mrr", "--flat", flat),
                               ".*" + re.escape("several currencies (EUR, USD)") + ".*"),
        "bad grouping": (("cohorts", "--example", "--by", "shoe_size"),
                         re.escape("group by 'first_revenue_month', 'attribute:<name>' or a function, "
                                   "got 'shoe_size'")),
        "bad chart type": (("bridge", "--example", "--chart", str(files.root / "chart.xyz")),
                           re.escape(f"{files.root / 'chart.xyz'}: Format 'xyz' is not supported") + ".*"),
    }


def format_runs() -> list[tuple[str, ...]]:
    return [(command, "--example", "--format", fmt) for command in COMMANDS for fmt in FORMATS]


def chart_runs(files: Files) -> list[tuple[str, ...]]:
    return [(command, "--example", "--chart", str(files.chart(command)))
            for command in ("bridge", "series", "cohorts")]


MRR = ("mrr", "--example", "--format", "table")
OTHER_RUNS: tuple[tuple[str, ...], ...] = (
    ("mrr", "--example", "--start", "2024-01", "--end", "2024-03"),
    ("mrr", "--flat", str(example_path("saas_lines.csv")), "--fx", str(example_path("fx_rates.csv")),
     "--start", "2023-01", "--end", "2024-12"),
    ("bridge", "--example", "--start", "2024-01", "--end", "2024-03"),
    ("bridge", "--example", "--start", "2024-01", "--end", "2024-03", "--table", "ledger", "--format", "csv"),
    ("series", "--example", "--freq", "quarter", "--progress"),
    ("series", "--example", "--freq", "year", "--method", "events"),
    ("attribution", "--example", "--by", "product", "--format", "csv"),
    ("metrics", "--example", "--freq", "month", "--trailing", "12"),
    ("metrics", "--example", "--by", "attribute:segment", "--format", "json"),
    ("cohorts", "--example", "--level", "parent", "--value", "logo_retention"),
    ("--help",),
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    root = tmp_path_factory.mktemp("cli")
    no_start_date = root / "no_start_date.csv"
    no_start_date.write_text(FLAT_HEADER.replace(",start_date", "") + "\n")
    bad_values = root / "bad_values.csv"
    bad_values.write_text("\n".join([FLAT_HEADER, LINE.format(id="l1", quantity=10, start="2024-01-01"),
                                     LINE.format(id="l2", quantity=10, start="2024-02-30"),
                                     LINE.format(id="l3", quantity="x", start="2024-03-01")]) + "\n")
    folder = root / "folder"
    folder.mkdir()
    (folder / "customers.csv").write_text("id,name\nacme,Acme\n")
    (folder / "products.csv").write_text("id,name\ncrm,CRM\n")
    (folder / "plans.csv").write_text(
        "id,product_id,name,tier,price,currency,interval_unit\ncrm-pro,crm,Pro,2,600,EUR,year\n")
    (folder / "lines.csv").write_text(
        "contract_id,customer_id,currency,line_id,plan_id,quantity,start_date,end_date\n"
        "k1,acme,EUR,l1,crm-pro,10,2024-01-15,2024-04-01\n"
        "k1,acme,EUR,l2,crm-gold,1,2024-01-15,\n")
    late_fx = root / "late_fx.csv"
    late_fx.write_text("currency,date,rate\nEUR,2024-06-01,1.08\n")
    return Files(root, root / "nope.csv", no_start_date, bad_values, folder, late_fx)


@pytest.fixture(scope="module")
def runs(files: Files) -> dict[tuple[str, ...], Run]:
    argvs = [*format_runs(), *OTHER_RUNS, *(argv for argv, _ in error_cases(files).values()),
             validate_bad_files(files)]
    if HAS_MATPLOTLIB:
        argvs += chart_runs(files)
    return run_all(argvs)


def ok(runs: dict[tuple[str, ...], Run], *argv: str) -> str:
    result = runs[argv]
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress when stderr is not a terminal
    return result.stdout


def table(stdout: str) -> list[list[str]]:
    return [line.split() for line in stdout.splitlines()]


def number(text: str) -> Decimal:
    return Decimal(text.replace(",", "").rstrip("%"))


def cents(value: Decimal) -> Decimal:
    return quantize(value, 2)


# -- mrr --------------------------------------------------------------------------------------

def test_mrr_of_the_example_by_month(runs: dict[tuple[str, ...], Run]) -> None:
    rows = table(ok(runs, *MRR))
    assert rows[0] == ["month", "MRR", "USD", "customers", "ARR", "USD"]
    assert [row[0] for row in rows[1:]] == [f"{year}-{month:02d}" for year in (2023, 2024)
                                           for month in range(1, 13)]
    snapshot = mrr_snapshot(load_example(), "2024-12-31", fx=load_example_fx())
    _, mrr, customers, arr = rows[-1]
    assert number(mrr) == cents(snapshot.total)
    assert number(arr) == cents(snapshot.arr)
    assert int(customers) == sum(1 for value in snapshot.by_customer.values() if value > 0)


def test_the_columns_are_aligned(runs: dict[tuple[str, ...], Run]) -> None:
    lines = ok(runs, *MRR).splitlines()
    assert len({len(line) for line in lines}) == 1


def test_a_range_of_months(runs: dict[tuple[str, ...], Run]) -> None:
    stdout = ok(runs, "mrr", "--example", "--start", "2024-01", "--end", "2024-03")
    assert [row[0] for row in table(stdout)[1:]] == ["2024-01", "2024-02", "2024-03"]


def test_a_flat_file_with_fx_rates_gives_the_example_table(runs: dict[tuple[str, ...], Run]) -> None:
    stdout = ok(runs, "mrr", "--flat", str(example_path("saas_lines.csv")), "--fx",
                str(example_path("fx_rates.csv")), "--start", "2023-01", "--end", "2024-12")
    assert stdout == ok(runs, *MRR)


def test_a_folder_of_tables_in_its_own_currency(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("id,name\nacme,Acme\n")
    (tmp_path / "products.csv").write_text("id,name\ncrm,CRM\n")
    (tmp_path / "plans.csv").write_text(
        "id,product_id,name,tier,price,currency,interval_unit\ncrm-pro,crm,Pro,2,600,EUR,year\n")
    (tmp_path / "lines.csv").write_text(
        "contract_id,customer_id,currency,line_id,plan_id,quantity,start_date,end_date\n"
        "k1,acme,EUR,l1,crm-pro,10,2024-01-15,2024-04-01\n")
    result = run("mrr", "--folder", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert table(result.stdout) == [
        ["month", "MRR", "EUR", "customers", "ARR", "EUR"],
        ["2024-01", "500.00", "1", "6,000.00"],
        ["2024-02", "500.00", "1", "6,000.00"],
        ["2024-03", "500.00", "1", "6,000.00"],  # the line ends on April 1st (exclusive)
    ]


# -- every command in every format --------------------------------------------------------------

def test_every_command_as_a_table(runs: dict[tuple[str, ...], Run]) -> None:
    out = {command: ok(runs, command, "--example", "--format", "table") for command in COMMANDS}
    assert "no problems found" in out["validate"]
    assert ["customers", "60"] in table(out["validate"])
    assert table(out["mrr"])[0][0] == "month"
    bridge_rows = {" ".join(row[:-1]): row[-1] for row in table(out["bridge"])[1:]}
    assert list(bridge_rows) == ["starting MRR", *COMPONENTS, "ending MRR", "net change"]
    assert out["bridge"].startswith("revenue bridge 2023-12-31 to 2024-12-31 (USD, snapshot method, ")
    header = table(out["series"])[1]
    assert header == ["end", "starting", *COMPONENTS, "ending"]
    assert [row[0] for row in table(out["series"])[2:]][-2:] == ["2024-12-31", "total"]
    assert "category (gross)" in out["attribution"] and "  upsell" in out["attribution"]
    metrics = {" ".join(row[:-1]): row[-1] for row in table(out["metrics"])[1:] if row}
    assert metrics["NRR"].endswith("%") and metrics["GRR"].endswith("%")
    assert table(out["cohorts"])[1][:4] == ["cohort", "size", "M0", "M1"]
    assert table(out["cohorts"])[2][2] == "100.0%"


def test_the_bridge_table_shows_the_bridge_to_the_cent(runs: dict[tuple[str, ...], Run]) -> None:
    rows = table(ok(runs, "bridge", "--example", "--start", "2024-01", "--end", "2024-03"))
    bridge = revenue_bridge(load_example(), "2024-01", "2024-03", fx=load_example_fx())
    shown = {" ".join(row[:-1]): number(row[-1]) for row in rows[1:]}
    assert shown == {"starting MRR": cents(bridge.starting_mrr),
                     **{name: cents(value) for name, value in bridge.components.items()},
                     "ending MRR": cents(bridge.ending_mrr), "net change": cents(bridge.net_change)}


def test_every_command_as_json(runs: dict[tuple[str, ...], Run]) -> None:
    out = {command: json.loads(ok(runs, command, "--example", "--format", "json")) for command in COMMANDS}
    assert {"customers", "products", "plans", "contracts", "lines", "currencies", "first_day",
            "last_day"} <= set(out["validate"])
    assert out["validate"]["currencies"] == ["EUR", "USD"]
    assert out["mrr"][-1] == {"month": "2024-12", "at": "2024-12-31", "currency": "USD",
                              "mrr": "41134.76145", "customers": 54, "arr": "493617.13740"}
    bridge = revenue_bridge(load_example(), "2024-01", "2024-12", fx=load_example_fx())
    assert out["bridge"] == bridge.model_dump(mode="json")  # exact: Decimals as strings
    assert Bridge.model_validate(out["bridge"]).ending_mrr == bridge.ending_mrr
    assert {"starting_mrr", *COMPONENTS, "ending_mrr", "ledger", "attribution"} <= set(out["bridge"])
    assert len(out["series"]["bridges"]) == 24
    assert {"parts", "categories", "expansion", "contraction", "fx"} <= set(out["attribution"])
    assert {"nrr", "grr", "quick_ratio", "ltv", "reasons"} <= set(out["metrics"])
    assert out["cohorts"]["rows"][0]["cohort"] == "2023-01"


def test_every_command_as_csv(runs: dict[tuple[str, ...], Run]) -> None:
    out = {command: list(csv.reader(io.StringIO(ok(runs, command, "--example", "--format", "csv"))))
           for command in COMMANDS}
    for command, rows in out.items():
        assert len(rows) > 1, command
        assert {len(row) for row in rows} == {len(rows[0])}, command
    assert out["validate"][0] == ["item", "value"]
    assert out["mrr"][0] == ["month", "at", "currency", "mrr", "customers", "arr"]
    assert out["bridge"][0] == ["component", "kind", "amount"]
    amounts = {name: Decimal(amount) for name, _, amount in out["bridge"][1:]}
    assert amounts["starting_mrr"] + sum(amounts[name] for name in COMPONENTS) == amounts["ending_mrr"]
    assert out["series"][0][:3] == ["start", "end", "starting_mrr"]
    assert out["attribution"][0] == ["category", "root", "amount"]
    assert out["metrics"][0][:2] == ["start", "end"] and "nrr" in out["metrics"][0]
    assert out["cohorts"][0][:3] == ["cohort", "size", "months_since_start"]


def test_every_command_as_html(runs: dict[tuple[str, ...], Run]) -> None:
    for command in COMMANDS:
        page = ok(runs, command, "--example", "--format", "html")
        assert page.startswith("<!DOCTYPE html>"), command
        assert "<table" in page and page.rstrip().endswith("</html>"), command


# -- options ----------------------------------------------------------------------------------

def test_a_ledger_as_csv(runs: dict[tuple[str, ...], Run]) -> None:
    stdout = ok(runs, "bridge", "--example", "--start", "2024-01", "--end", "2024-03", "--table",
                "ledger", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(stdout)))
    bridge = revenue_bridge(load_example(), "2024-01", "2024-03", fx=load_example_fx())
    assert len(rows) == len(bridge.ledger)
    churn = sum((Decimal(row["amount"]) for row in rows if row["kind"] == "churn"), Decimal(0))
    assert churn == bridge.churn


def test_quarters_and_years_start_on_calendar_boundaries(runs: dict[tuple[str, ...], Run]) -> None:
    quarters = table(runs[("series", "--example", "--freq", "quarter", "--progress")].stdout)
    assert [row[0] for row in quarters[2:]][:2] == ["2023-03-31", "2023-06-30"]
    years = table(ok(runs, "series", "--example", "--freq", "year", "--method", "events"))
    assert [row[0] for row in years[2:]] == ["2023-12-31", "2024-12-31", "total"]


def test_progress_on_stderr(runs: dict[tuple[str, ...], Run]) -> None:
    result = runs[("series", "--example", "--freq", "quarter", "--progress")]
    assert result.returncode == 0
    lines = result.stderr.splitlines()
    assert lines[0] == "expansion-revenue: loading the bundled example…"
    assert re.fullmatch(r"expansion-revenue: loaded 126 lines \(60 customers\) in \d+\.\d\d s", lines[1])
    assert lines[2] == "expansion-revenue: computing 8 bridges (quarterly)…"
    assert re.fullmatch(r"expansion-revenue: done in \d+\.\d\d s", lines[-1])


def test_other_views(runs: dict[tuple[str, ...], Run]) -> None:
    by_product = list(csv.reader(io.StringIO(
        ok(runs, "attribution", "--example", "--by", "product", "--format", "csv"))))
    assert by_product[0] == ["product", "expansion", "contraction", "fx", "unclassified"]
    trailing = table(ok(runs, "metrics", "--example", "--freq", "month", "--trailing", "12"))
    assert trailing[0][:5] == ["metrics", "by", "month,", "trailing", "12"]
    assert trailing[2][0] == "2023-12-31" and trailing[-1][0] == "2024-12-31"
    segments = json.loads(ok(runs, "metrics", "--example", "--by", "attribute:segment", "--format", "json"))
    assert sorted(segments["groups"]) == ["enterprise", "mid_market", "smb"]
    logos = table(ok(runs, "cohorts", "--example", "--level", "parent", "--value", "logo_retention"))
    assert "logo retention" in " ".join(logos[0]) and "parent level" in " ".join(logos[0])


def test_help_lists_every_command(runs: dict[tuple[str, ...], Run]) -> None:
    stdout = ok(runs, "--help")
    for command in COMMANDS:
        assert f"\n    {command}" in stdout


def test_the_installed_script() -> None:
    script = Path(sys.executable).with_name("expansion-revenue")
    if not script.exists():
        pytest.skip("the expansion-revenue script is not installed next to this interpreter")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=False,
                            timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("expansion-revenue ")


@pytest.mark.skipif(not HAS_MATPLOTLIB,
                    reason="--chart needs matplotlib (pip install 'expansion_revenue[charts]')")
@pytest.mark.parametrize("command", ["bridge", "series", "cohorts"])
def test_a_chart(runs: dict[tuple[str, ...], Run], files: Files, command: str) -> None:
    ok(runs, command, "--example", "--chart", str(files.chart(command)))
    data = files.chart(command).read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 5_000


# -- bad input --------------------------------------------------------------------------------

def error_line(result: Run) -> str:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("case", list(error_cases(Files(*(Path("x"),) * 6))))
def test_bad_input_exits_2_with_one_line(runs: dict[tuple[str, ...], Run], files: Files, case: str) -> None:
    argv, message = error_cases(files)[case]
    line = error_line(runs[argv])
    assert re.fullmatch(rf"expansion-revenue( \w+)?: error: {message}", line), line


def test_a_bad_month_is_a_usage_error(runs: dict[tuple[str, ...], Run]) -> None:
    line = error_line(runs[("bridge", "--example", "--start", "2024-13")])
    assert "'2024-13' is not a month (YYYY-MM)" in line


def validate_bad_files(files: Files) -> tuple[str, ...]:
    return ("validate", "--flat", str(files.bad_values), "--fx", str(files.no_start_date))


def test_validate_lists_every_problem(runs: dict[tuple[str, ...], Run], files: Files) -> None:
    result = runs[validate_bad_files(files)]
    assert result.returncode == 2
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{files.bad_values}: row 3, column 'start_date': ")
    assert lines[1].startswith(f"{files.bad_values}: row 4, column 'quantity': ")
    assert f"{files.no_start_date}: row 1, column 'rate': missing required column 'rate'" in lines
    assert lines[-1] == f"expansion-revenue: error: {len(lines) - 1} problems found"


def test_a_chart_without_matplotlib_exits_2_before_any_work() -> None:
    code = ("import sys; sys.modules['matplotlib'] = None\n"  # as if it were not installed
            "from expansion_revenue.cli import main\n"
            "sys.exit(main(['bridge', '--example', '--chart', 'never.png', '--progress']))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                            timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == ("expansion-revenue: error: this needs the optional dependency 'matplotlib': "
                             "pip install 'expansion_revenue[charts]'\n")  # no "loading" phase either
