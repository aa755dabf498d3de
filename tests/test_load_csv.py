"""Loading CSV files: a folder of normalized tables, one flat file, FX rates; round trips."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from expansion_revenue import (
    Dataset,
    InvalidDataError,
    example_path,
    load_csv_folder,
    load_example,
    load_example_fx,
    load_flat_csv,
    load_fx_csv,
    mrr_snapshot,
)

Problem = tuple[str, str, str | None, str, str | None]  # kind, record id, field, code, source

FLAT_HEADER = ("customer_id,contract_id,line_id,product_id,product_kind,plan_id,plan_tier,quantity,"
               "unit_price,currency,interval_count,interval_unit,discount,start_date,end_date")
FLAT_ROW = "acme,k1,l1,crm,core,crm-pro,2,10,600,USD,1,year,,2024-01-01,"


def write(path: Path, *lines: str) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def problems(error: pytest.ExceptionInfo[InvalidDataError]) -> list[Problem]:
    return [(p.kind, p.record_id, p.field, p.code, p.source) for p in error.value.problems]


def write_tables(dataset: Dataset, folder: Path) -> Path:
    """The dataset as the four normalized CSV tables."""
    folder.mkdir(exist_ok=True)
    attributes = sorted({name for c in dataset.customers for name in c.attributes})
    with (folder / "customers.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "parent_id", *attributes])
        for c in dataset.customers:
            writer.writerow([c.id, c.name, c.parent_id or "", *(c.attributes.get(a, "") for a in attributes)])
    with (folder / "products.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "kind", "family"])
        for p in dataset.products:
            writer.writerow([p.id, p.name, p.kind.value, p.family or ""])
    with (folder / "plans.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "product_id", "name", "tier", "price", "currency", "interval_count",
                         "interval_unit"])
        for plan in dataset.plans:
            writer.writerow([plan.id, plan.product_id, plan.name, plan.tier, plan.price.amount,
                             plan.price.currency, plan.interval.count, plan.interval.unit.value])
    with (folder / "lines.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["contract_id", "customer_id", "currency", "line_id", "plan_id", "quantity",
                         "unit_price", "discount", "discount_end_date", "start_date", "end_date"])
        for k in dataset.contracts:
            for line in k.lines:
                writer.writerow([k.id, k.customer_id, k.currency, line.id, line.plan_id, line.quantity,
                                 line.unit_price.amount if line.unit_price else "", line.discount,
                                 line.discount_end or "", line.start, line.end or ""])
    return folder


def write_flat(dataset: Dataset, path: Path) -> Path:
    """The dataset as one flat CSV of contract lines."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*FLAT_HEADER.split(","), "customer_name", "parent_id", "segment", "region",
                         "plan_name", "product_name", "product_family", "discount_end_date"])
        for ref in dataset.lines:
            line, plan, product, customer = ref.line, ref.plan, ref.product, ref.customer
            price = line.unit_price or plan.price
            writer.writerow([
                customer.id, ref.contract.id, line.id, product.id, product.kind.value, plan.id, plan.tier,
                line.quantity, price.amount, ref.contract.currency, plan.interval.count,
                plan.interval.unit.value, line.discount, line.start, line.end or "", customer.name,
                customer.parent_id or "", customer.attributes.get("segment", ""),
                customer.attributes.get("region", ""), plan.name, product.name, product.family or "",
                line.discount_end or ""])
    return path


def snapshots(dataset: Dataset) -> list[object]:
    fx = load_example_fx()
    days = ["2023-01-31", "2023-06-30", "2023-12-31", "2024-06-15", "2024-12-31"]
    return [sorted((line.line_id, line.mrr) for line in mrr_snapshot(dataset, day, fx=fx).lines)
            for day in days]


# -- the flat file ---------------------------------------------------------------------------


def test_a_flat_csv_loads(tmp_path: Path) -> None:
    path = write(tmp_path / "lines.csv", FLAT_HEADER + ",region",
                 FLAT_ROW + ",emea", "acme,k1,l2,crm,core,crm-pro,2,5,600,USD,1,year,0.1,2024-03-15,,")
    ds = load_flat_csv(path)
    assert [(r.line.id, r.line.quantity, r.line.discount) for r in ds.lines] == [
        ("l1", 10, Decimal(0)), ("l2", 5, Decimal("0.1"))]
    assert dict(ds.customer("acme").attributes) == {"region": "emea"}


def test_text_is_stripped_and_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    row = " acme , k1 ,l1,crm,CORE,crm-pro, 2 , 10 ,600.00, usd ,1,Year, ,2024-01-01, "
    path.write_bytes(f"\ufeff{FLAT_HEADER}\n{row}\n".encode())
    ds = load_flat_csv(path)
    assert ds.contract("k1").customer_id == "acme"
    assert ds.plan("crm-pro").price.amount == Decimal("600.00")


def test_a_missing_column_is_one_problem_naming_the_column_and_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "lines.csv", FLAT_HEADER.replace(",start_date", ""),
                 FLAT_ROW.replace(",2024-01-01", ""))
    with pytest.raises(InvalidDataError) as info:
        load_flat_csv(path)
    assert problems(info) == [("header", "row 1", "start_date", "missing_column", str(path))]
    assert info.value.problems[0].message == "missing required column 'start_date'"


def test_an_empty_file_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path / "lines.csv")
    with pytest.raises(InvalidDataError) as info:
        load_flat_csv(path)
    assert problems(info) == [("header", "row 1", None, "empty_file", str(path))]


def test_rows_are_numbered_from_2_below_the_header(tmp_path: Path) -> None:
    path = write(tmp_path / "lines.csv", FLAT_HEADER, FLAT_ROW, "",
                 "acme,k1,l2,crm,core,crm-pro,2,10,600,USD,1,year,,2024-31-01,",
                 "acme,k1,l3,crm,core,crm-pro,2,10,600,USD,1,year,")
    with pytest.raises(InvalidDataError) as info:
        load_flat_csv(path)
    # Row 3 is blank (not a row, but counted, as a spreadsheet shows it).
    assert problems(info) == [
        ("row", "row 4", "start_date", "date_from_datetime_parsing", str(path)),
        ("row", "row 5", None, "row_length", str(path)),
    ]
    assert info.value.problems[1].message == "has 13 fields but the header has 15"


@pytest.mark.parametrize(("cells", "expected"), [
    ({7: "-2"}, ("row 2", "quantity", "greater_than_equal")),
    ({7: "1.5"}, ("row 2", "quantity", "int_parsing")),
    ({8: "12,50"}, ("row 2", "unit_price", "decimal_exact")),
    ({9: "DOLLAR"}, ("row 2", "currency", "currency_unknown")),
    ({12: "1.01"}, ("row 2", "discount", "discount_range")),
    ({14: "2023-12-31"}, ("row 2", "end_date", "end_before_start")),
    ({13: "01/02/2024"}, ("row 2", "start_date", "date_from_datetime_parsing")),
])
def test_a_bad_cell_names_file_row_and_column(
        tmp_path: Path, cells: dict[int, str], expected: tuple[str, str, str]) -> None:
    values = FLAT_ROW.split(",")
    for position, value in cells.items():
        values[position] = value
    path = tmp_path / "lines.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([FLAT_HEADER.split(","), values])
    with pytest.raises(InvalidDataError) as info:
        load_flat_csv(path)
    assert problems(info) == [("row", *expected, str(path))]


def test_float_like_text_is_read_as_exact_decimals(tmp_path: Path) -> None:
    path = write(tmp_path / "lines.csv", FLAT_HEADER,
                 "acme,k1,l1,crm,core,crm-m,2,10.0,19.99,USD,1.0,month,0.10,2024-01-01,")
    ds = load_flat_csv(path)
    line = ds.line("l1").line
    assert (line.quantity, line.unit_price and line.unit_price.amount, line.discount) == (
        10, Decimal("19.99"), Decimal("0.10"))
    assert mrr_snapshot(ds, "2024-01-31").total == Decimal("179.9100")  # 19.99 x 10 x 0.9


def test_a_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_flat_csv(tmp_path / "nope.csv")


# -- a folder of normalized tables -----------------------------------------------------------


def minimal_folder(folder: Path) -> Path:
    folder.mkdir()
    write(folder / "customers.csv", "id,name,parent_id,segment", "acme,Acme,,smb")
    write(folder / "products.csv", "id,name,kind,family", "crm,CRM,core,")
    write(folder / "plans.csv", "id,product_id,name,tier,price,currency,interval_count,interval_unit",
          "crm-pro,crm,Pro,2,600,USD,1,year")
    write(folder / "lines.csv",
          "contract_id,customer_id,currency,line_id,plan_id,quantity,start_date,end_date",
          "k1,acme,USD,l1,crm-pro,10,2024-01-01,")
    return folder


def test_a_folder_of_tables_loads(tmp_path: Path) -> None:
    ds = load_csv_folder(minimal_folder(tmp_path / "data"))
    assert repr(ds) == "Dataset(1 customers, 1 products, 1 plans, 1 contracts, 1 lines)"
    assert dict(ds.customer("acme").attributes) == {"segment": "smb"}
    assert mrr_snapshot(ds, "2024-01-31").total == 500  # 600 x 10 / 12


def test_a_missing_table_is_a_file_not_found_error(tmp_path: Path) -> None:
    folder = minimal_folder(tmp_path / "data")
    (folder / "plans.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"plans\.csv"):
        load_csv_folder(folder)


def test_header_problems_of_every_table_are_reported_together(tmp_path: Path) -> None:
    folder = minimal_folder(tmp_path / "data")
    write(folder / "products.csv", "id,name,kind,colour", "crm,CRM,core,red")
    write(folder / "lines.csv", "contract_id,customer_id,currency,line_id,plan_id,quantity",
          "k1,acme,USD,l1,crm-pro,10")
    with pytest.raises(InvalidDataError) as info:
        load_csv_folder(folder)
    assert problems(info) == [
        ("header", "row 1", "colour", "unknown_column", str(folder / "products.csv")),
        ("header", "row 1", "start_date", "missing_column", str(folder / "lines.csv")),
    ]


def test_row_problems_name_their_table_and_file(tmp_path: Path) -> None:
    folder = minimal_folder(tmp_path / "data")
    write(folder / "customers.csv", "id,name,parent_id", "acme,Acme,", "acme,Acme again,")
    write(folder / "plans.csv", "id,product_id,name,tier,price,currency,interval_count,interval_unit",
          "crm-pro,crm,Pro,two,600,USD,1,year", "crm-max,crm,Max,3,900,USD,1,year")
    write(folder / "lines.csv",
          "contract_id,customer_id,currency,line_id,plan_id,quantity,start_date,end_date",
          "k1,acme,USD,l1,crm-max,10,2024-01-01,", "k1,acme,EUR,l2,crm-max,1,2024-01-01,",
          "k2,ghost,USD,l3,crm-nope,1,2024-01-01,")
    with pytest.raises(InvalidDataError) as info:
        load_csv_folder(folder)
    lines = str(folder / "lines.csv")
    assert problems(info) == [
        ("plan", "row 2", "tier", "int_parsing", str(folder / "plans.csv")),
        ("line", "row 3", "currency", "inconsistent", lines),
        ("customer", "row 3", "id", "duplicate_id", str(folder / "customers.csv")),
        ("line", "row 4", "customer_id", "unknown_reference", lines),
        ("line", "row 4", "plan_id", "unknown_reference", lines),
    ]


# -- round trips -----------------------------------------------------------------------------


def test_the_example_round_trips_through_normalized_tables(tmp_path: Path) -> None:
    example = load_example()
    loaded = load_csv_folder(write_tables(example, tmp_path / "tables"))
    assert loaded == example
    assert snapshots(loaded) == snapshots(example)


def test_the_example_round_trips_through_a_flat_file(tmp_path: Path) -> None:
    example = load_example()
    loaded = load_flat_csv(write_flat(example, tmp_path / "flat.csv"))
    assert loaded == example
    assert snapshots(loaded) == snapshots(example)


# -- FX rates --------------------------------------------------------------------------------


def test_an_fx_file_loads() -> None:
    fx = load_fx_csv(example_path("fx_rates.csv"), target="USD")
    assert fx.rate("EUR", dt.date(2024, 12, 31)) == Decimal("1.0479")


def test_bad_fx_rows_name_file_row_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "fx.csv", "currency,date,rate", "EUR,2024-01-01,1.1", "EUR,2024-02-30,1.1",
                 "EUR,2024-01-01,1.2", "GBP,2024-01-01,-1")
    with pytest.raises(InvalidDataError) as info:
        load_fx_csv(path)
    assert problems(info) == [
        ("rate", "row 3", "date", "date_from_datetime_parsing", str(path)),
        ("rate", "row 4", "date", "duplicate_rate", str(path)),
        ("rate", "row 5", "rate", "rate_not_positive", str(path)),
    ]
