"""The command line, run as users run it: ``python -m expansion_revenue ...`` in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from expansion_revenue import example_path, load_example, load_example_fx, mrr_snapshot
from expansion_revenue.money import quantize

FLAT_HEADER = ("customer_id,contract_id,line_id,product_id,product_kind,plan_id,plan_tier,quantity,"
               "unit_price,currency,interval_count,interval_unit,discount,start_date,end_date")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "expansion_revenue", *args], capture_output=True,
                          text=True, check=False, timeout=120)


def table(stdout: str) -> list[list[str]]:
    return [line.split() for line in stdout.splitlines()]


def number(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def test_mrr_of_the_example_by_month() -> None:
    result = run("mrr", "--example")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    rows = table(result.stdout)
    assert rows[0] == ["month", "MRR", "USD", "customers", "ARR", "USD"]
    assert [row[0] for row in rows[1:]] == [f"{year}-{month:02d}" for year in (2023, 2024)
                                           for month in range(1, 13)]
    snapshot = mrr_snapshot(load_example(), "2024-12-31", fx=load_example_fx())
    _, mrr, customers, arr = rows[-1]
    assert number(mrr) == quantize(snapshot.total, 2)
    assert number(arr) == quantize(snapshot.arr, 2)
    assert int(customers) == sum(1 for value in snapshot.by_customer.values() if value > 0)


def test_the_columns_are_aligned() -> None:
    lines = run("mrr", "--example").stdout.splitlines()
    assert len({len(line) for line in lines}) == 1


def test_a_range_of_months() -> None:
    result = run("mrr", "--example", "--start", "2024-01", "--end", "2024-03")
    assert [row[0] for row in table(result.stdout)[1:]] == ["2024-01", "2024-02", "2024-03"]


def test_a_flat_file_with_fx_rates_gives_the_example_table() -> None:
    result = run("mrr", "--flat", str(example_path("saas_lines.csv")), "--fx",
                 str(example_path("fx_rates.csv")), "--start", "2023-01", "--end", "2024-12")
    assert result.returncode == 0, result.stderr
    assert result.stdout == run("mrr", "--example").stdout


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


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_missing_column_exits_2_naming_file_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text(FLAT_HEADER.replace(",start_date", "") + "\n")
    assert error_line(run("mrr", "--flat", str(path))) == (
        f"expansion-revenue: error: {path}: row 1, column 'start_date': "
        "missing required column 'start_date'")


def test_a_bad_date_exits_2_naming_file_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text(f"{FLAT_HEADER}\nacme,k1,l1,crm,core,pro,2,10,600,USD,1,year,,2024-01-01,\n"
                    "acme,k1,l2,crm,core,pro,2,10,600,USD,1,year,,2024-02-30,\n"
                    "acme,k1,l3,crm,core,pro,2,-1,600,USD,1,year,,2024-03-01,\n")
    line = error_line(run("mrr", "--flat", str(path)))
    assert line.startswith(f"expansion-revenue: error: {path}: row 3, column 'start_date': ")
    assert line.endswith(" (+1 more)")


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    line = error_line(run("mrr", "--flat", str(tmp_path / "nope.csv")))
    assert line == f"expansion-revenue: error: {tmp_path / 'nope.csv'}: No such file or directory"


def test_several_currencies_without_rates_exit_2(tmp_path: Path) -> None:
    line = error_line(run("mrr", "--flat", str(example_path("saas_lines.csv"))))
    assert "several currencies (EUR, USD)" in line


def test_a_bad_month_is_a_usage_error() -> None:
    result = run("mrr", "--example", "--start", "2024-13")
    assert result.returncode == 2
    assert "'2024-13' is not a month (YYYY-MM)" in result.stderr
    assert "Traceback" not in result.stderr
