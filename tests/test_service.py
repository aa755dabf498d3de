"""The JSON boundary: each request shape runs, each error becomes a structured payload."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from expansion_revenue import (
    Bridge,
    BridgeSeries,
    Dataset,
    FxRates,
    MrrSnapshot,
    Policy,
    bridge_series,
    load_example,
    load_example_fx,
    mrr_snapshot,
    revenue_bridge,
)
from expansion_revenue.engine.cohorts import cohort_table
from expansion_revenue.engine.metrics import period_metrics, series_metrics, trailing_metrics
from expansion_revenue.engine.projection import project_mrr
from expansion_revenue.errors import InvalidDataError, MissingRateError
from expansion_revenue.results.cohorts import CohortTable
from expansion_revenue.results.metrics import MetricsSeries, RevenueMetrics
from expansion_revenue.results.projection import ProjectionAssumptions
from expansion_revenue.rules.ruleset import RuleSet
from expansion_revenue.service import (
    BridgeRequest,
    DatasetPayload,
    ErrorPayload,
    RuleSetDescription,
    error_payload,
    handle,
    handle_bridge,
    handle_cohorts,
    handle_metrics,
    handle_projection,
    handle_snapshot,
    http_status,
    json_schemas,
    schema_documents,
)


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


#: acme upgrades basic -> pro on Feb 15 (50 -> 150 USD); beta pays 2 x 28 EUR from Jan 10.
DATA: dict[str, Any] = {
    "customers": [{"id": "acme", "name": "Acme", "attributes": {"segment": "smb"}},
                  {"id": "beta", "name": "Beta", "attributes": {"segment": "enterprise"}}],
    "products": [{"id": "crm", "name": "CRM"}],
    "plans": [
        {"id": "basic", "product_id": "crm", "name": "Basic", "tier": 1, "price": usd("10")},
        {"id": "pro", "product_id": "crm", "name": "Pro", "tier": 2, "price": usd("30")},
        {"id": "pro-eur", "product_id": "crm", "name": "Pro", "tier": 2,
         "price": {"amount": "28", "currency": "EUR"}},
    ],
    "contracts": [
        {"id": "k1", "customer_id": "acme", "currency": "USD", "lines": [
            {"id": "a1", "plan_id": "basic", "quantity": 5, "start": "2024-01-01", "end": "2024-02-15"},
            {"id": "a2", "plan_id": "pro", "quantity": 5, "start": "2024-02-15"}]},
        {"id": "k2", "customer_id": "beta", "currency": "EUR", "lines": [
            {"id": "b1", "plan_id": "pro-eur", "quantity": 2, "start": "2024-01-10"}]},
    ],
}
FX: dict[str, Any] = {"target": "USD", "rates": {"EUR": {"2023-12-01": "1.10", "2024-02-01": "1.08"}}}


def dataset() -> Dataset:
    return Dataset(**DATA)


def fx() -> FxRates:
    return FxRates.model_validate(FX)


def body(**fields: Any) -> dict[str, Any]:
    return {"dataset": copy.deepcopy(DATA), "fx": FX, **fields}


def error_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload's error, after checking it has the documented shape."""
    assert set(payload) == {"error"}
    ErrorPayload.model_validate(payload)
    error: dict[str, Any] = payload["error"]
    assert error["problems"]
    for problem in error["problems"]:
        assert set(problem) == {"code", "record", "field", "message"}
        assert set(problem["record"]) == {"kind", "id"}
    return error


def only_problem(payload: dict[str, Any]) -> dict[str, Any]:
    problems: list[dict[str, Any]] = error_of(payload)["problems"]
    assert len(problems) == 1
    return problems[0]


# -- each request shape -------------------------------------------------------------------------


def test_bridge_request_returns_the_bridge_as_json() -> None:
    payload = handle_bridge(body(start="2024-01-31", end="2024-03-31"))
    expected = revenue_bridge(dataset(), "2024-01-31", "2024-03-31", fx=fx())
    assert Bridge.model_validate(payload) == expected
    assert payload == json.loads(expected.model_dump_json())
    # Decimals as strings, dates ISO: acme 50 -> 150; beta 2 x 28 EUR at 1.10 then 1.08.
    assert payload["starting_mrr"] == "111.60"
    assert payload["expansion"] == "100"
    assert payload["fx"] == "-1.12"
    assert payload["ending_mrr"] == "210.48"
    assert payload["start"] == "2024-01-31"
    assert [p["category"] for p in payload["attribution"]["parts"]] == ["expansion.upsell", "fx"]
    assert http_status(payload) == 200


def test_text_bytes_and_objects_give_the_same_answer() -> None:
    request = body(start="2024-01", end="2024-03", method="events")
    text = json.dumps(request)
    assert handle_bridge(text) == handle_bridge(text.encode()) == handle_bridge(request)
    assert handle_bridge(bytearray(text.encode("utf-16"))) == handle_bridge(request)


def test_bridge_request_options_reach_the_engine() -> None:
    rules = RuleSet.default().without("product_added")
    payload = handle_bridge(body(start="2024-01", end="2024-03", method="events", currency="USD",
                                 policy={"level": "attribute:segment"}, rules=rules.describe()))
    expected = revenue_bridge(dataset(), "2024-01", "2024-03", method="events", fx=fx(),
                              policy=Policy(level="attribute:segment"), rules=rules)
    assert Bridge.model_validate(payload) == expected
    assert payload["method"] == "events"
    assert {row["entity_id"] for row in payload["ledger"]} == {"smb", "enterprise"}


def test_bridge_request_without_attribution() -> None:
    payload = handle_bridge(body(start="2024-01", end="2024-03", attribution=False))
    assert payload["attribution"] is None
    assert Bridge.model_validate(payload) == revenue_bridge(dataset(), "2024-01", "2024-03", fx=fx(),
                                                            attribution=False)


def test_bridge_request_with_freq_returns_a_series() -> None:
    payload = handle_bridge(body(start="2024-01", end="2024-04", freq="month"))
    series = BridgeSeries.model_validate(payload)
    assert series == bridge_series(dataset(), "2024-01", "2024-04", fx=fx())
    assert [b["end"] for b in payload["bridges"]] == ["2024-01-31", "2024-02-29", "2024-03-31",
                                                      "2024-04-30"]


def test_snapshot_request() -> None:
    payload = handle_snapshot(body(at="2024-02-20"))
    assert MrrSnapshot.model_validate(payload) == mrr_snapshot(dataset(), "2024-02-20", fx=fx())
    assert payload["total"] == "210.48"
    assert [line["line_id"] for line in payload["lines"]] == ["a2", "b1"]


def test_metrics_request_for_one_period() -> None:
    payload = handle_metrics(body(start="2024-02", end="2024-03", gross_margin="0.8"))
    expected = period_metrics(dataset(), "2024-02", "2024-03", fx=fx(), gross_margin="0.8")
    assert RevenueMetrics.model_validate(payload) == expected
    assert payload["grr"] == "1.000000"
    assert payload["gross_margin"] == "0.8"


def test_metrics_request_per_period_and_trailing() -> None:
    ds, rates = dataset(), fx()
    series = bridge_series(ds, "2024-02", "2024-05", fx=rates, attribution=False)
    opening = mrr_snapshot(ds, series.bridges[0].start, fx=rates)
    per_month = handle_metrics(body(start="2024-02", end="2024-05", freq="month"))
    assert MetricsSeries.model_validate(per_month) == series_metrics(series, starting_entities=opening)
    trailing = handle_metrics(body(start="2024-02", end="2024-05", freq="month", window=3))
    assert MetricsSeries.model_validate(trailing) == trailing_metrics(series, 3, starting_entities=opening)
    assert trailing["window"] == 3
    assert len(trailing["metrics"]) == 2


def test_metrics_request_of_an_empty_series() -> None:
    payload = handle_metrics(body(start="2024-03-31", end="2024-03-31", freq="month"))
    assert payload == {"window": 1, "metrics": []}


def test_cohort_request() -> None:
    payload = handle_cohorts(body(start="2024-01", end="2024-04", by="attribute:segment"))
    expected = cohort_table(dataset(), "2024-01", "2024-04", by="attribute:segment", fx=fx())
    assert CohortTable.model_validate(payload) == expected
    assert [row["cohort"] for row in payload["rows"]] == ["enterprise", "smb"]


def test_projection_request() -> None:
    assumptions = {"new_mrr": "100", "expansion_rate": "0.02", "churn_rate": "0.01"}
    payload = handle_projection({"starting_mrr": "1000", "start": "2024-12-31", "months": 3,
                                 "assumptions": assumptions, "currency": "EUR"})
    expected = project_mrr("1000", "2024-12-31", 3, ProjectionAssumptions(**assumptions), currency="EUR")
    assert BridgeSeries.model_validate(payload) == expected
    assert payload["bridges"][0]["ending_mrr"] == "1110.00"


def test_json_numbers_are_read_as_exact_decimals() -> None:
    text = json.dumps(body(start="2024-01", end="2024-03")).replace('"1.10"', "1.10")
    assert '"EUR": {"2023-12-01": 1.10' in text
    assert handle_bridge(text) == handle_bridge(body(start="2024-01", end="2024-03"))
    payload = handle_projection('{"starting_mrr": 0.1, "start": "2024-01-31", "months": 1}')
    assert payload["bridges"][0]["starting_mrr"] == "0.1"


def test_a_request_model_accepts_a_dataset_and_round_trips() -> None:
    request = BridgeRequest(dataset=DatasetPayload.model_validate(dataset()), start="2024-01",
                            end="2024-03", fx=fx(), rules=RuleSetDescription())
    assert request.dataset.to_dataset() == dataset()
    assert BridgeRequest.model_validate_json(request.model_dump_json()) == request
    assert request.run() == revenue_bridge(dataset(), "2024-01", "2024-03", fx=fx())


def test_handle_takes_the_request_type() -> None:
    assert handle(BridgeRequest, body(start="2024-01", end="2024-03")) == handle_bridge(
        body(start="2024-01", end="2024-03"))


def test_the_example_dataset_runs_through_the_service() -> None:
    request = {"dataset": json.loads(load_example().to_json()), "start": "2024-01", "end": "2024-12",
               "fx": json.loads(load_example_fx().model_dump_json()), "freq": "quarter"}
    payload = handle_bridge(json.dumps(request))
    expected = bridge_series(load_example(), "2024-01", "2024-12", freq="quarter", fx=load_example_fx())
    assert BridgeSeries.model_validate(payload) == expected
    assert BridgeSeries.model_validate_json(json.dumps(payload)) == expected


# -- errors -------------------------------------------------------------------------------------


def test_unknown_plan_in_a_line() -> None:
    request = body(start="2024-01", end="2024-03")
    request["dataset"]["contracts"][0]["lines"][1]["plan_id"] = "enterprise"
    payload = handle_bridge(request)
    error = error_of(payload)
    assert (error["code"], error["status"]) == ("invalid_data", 422)
    assert error["message"] == "1 problem in the data"
    assert error["problems"] == [{"code": "unknown_reference", "record": {"kind": "line", "id": "a2"},
                                  "field": "plan_id", "message": "unknown plan 'enterprise'"}]
    assert http_status(payload) == 422


def test_every_data_problem_is_listed_with_its_record() -> None:
    request = body(start="2024-01", end="2024-03")
    request["dataset"]["customers"].append({"id": "acme", "name": "Acme again"})
    request["dataset"]["contracts"][1]["lines"][0]["quantity"] = -1
    request["dataset"]["plans"][0]["price"] = {"amount": "ten", "currency": "USD"}
    problems = error_of(handle_bridge(request))["problems"]
    found = {(p["record"]["kind"], p["record"]["id"], p["field"], p["code"]) for p in problems}
    assert found == {
        ("customer", "acme", "id", "duplicate_id"),
        ("line", "b1", "quantity", "greater_than_equal"),
        ("plan", "basic", "price.amount", "decimal_exact"),
    }


def test_bad_date_in_the_policy() -> None:
    problem = only_problem(handle_bridge(body(start="2024-01", end="2024-03", policy={
        "fx_basis": "constant", "fx_constant_date": "2024-02-30"})))
    assert problem["record"] == {"kind": "policy", "id": None}
    assert problem["field"] == "fx_constant_date"
    assert problem["code"] == "date_from_datetime_parsing"


def test_policy_rule_across_fields() -> None:
    problem = only_problem(handle_bridge(body(start="2024-01", end="2024-03",
                                              policy={"fx_basis": "constant"})))
    assert (problem["record"]["kind"], problem["field"], problem["code"]) == (
        "policy", None, "fx_constant_date_missing")


def test_missing_fx_rate() -> None:
    payload = handle_bridge(body(start="2023-06", end="2024-03"))
    error = error_of(payload)
    assert (error["code"], error["status"]) == ("missing_rate", 422)
    assert error["problems"] == [{
        "code": "missing_rate", "record": {"kind": "fx", "id": "EUR"}, "field": "rates.EUR",
        "message": "no FX rate from EUR to USD on or before 2023-05-31"}]


def test_start_after_end() -> None:
    problem = only_problem(handle_bridge(body(start="2024-03-31", end="2024-01-31")))
    assert problem == {"code": "invalid_period", "record": {"kind": "request", "id": None},
                       "field": "end", "message": "start 2024-03-31 is after end 2024-01-31"}


def test_start_after_end_depends_on_the_month_convention() -> None:
    # February opens on Jan 31 under "end" but on Feb 1 under "start", after Jan 31.
    assert "error" not in handle_bridge(body(start="2024-02", end="2024-01-31"))
    problem = only_problem(handle_bridge(body(start="2024-02", end="2024-01-31",
                                              policy={"month_snapshot": "start"})))
    assert problem["code"] == "invalid_period"


def test_unreadable_period_bounds() -> None:
    problems = error_of(handle_bridge(body(start="2024-13", end="Q1 2024")))["problems"]
    assert [(p["field"], p["code"]) for p in problems] == [("start", "period_bound"), ("end", "period_bound")]


def test_several_currencies_without_fx() -> None:
    request = body(start="2024-01", end="2024-03")
    del request["fx"]
    problem = only_problem(handle_bridge(request))
    assert (problem["code"], problem["field"]) == ("currency_mismatch", "currency")
    assert "several currencies (EUR, USD)" in problem["message"]


def test_a_rule_answering_an_unknown_category() -> None:
    rules = {"rules": [{"kind": "price_volume_mix"}],
             "categories": ["expansion.add_on.capacity", "contraction.downgrade", "fx", "unclassified"]}
    payload = handle_bridge(body(start="2024-02", end="2024-03", rules=rules))
    error = error_of(payload)
    assert error["code"] == "rule_error"
    assert error["problems"][0]["record"] == {"kind": "rules", "id": "price_volume_mix"}
    assert "unknown category 'expansion.upsell'" in error["problems"][0]["message"]


def test_custom_rules_cannot_be_sent() -> None:
    described = RuleSet.default().describe()
    described["rules"].insert(0, {"kind": "custom", "name": "mine", "type": "my.module.Rule"})
    problem = only_problem(handle_bridge(body(start="2024-01", end="2024-03", rules=described)))
    assert (problem["record"]["kind"], problem["field"], problem["code"]) == (
        "rules", "rules.0", "union_tag_invalid")


def test_a_rule_set_that_cannot_be_built() -> None:
    twice = {"rules": [{"kind": "price_volume_mix"}, {"kind": "price_volume_mix"}]}
    problem = only_problem(handle_bridge(body(start="2024-01", end="2024-03", rules=twice)))
    assert (problem["record"]["kind"], problem["code"]) == ("rules", "rule_error")
    orphan = {"categories": ["refund.partial"]}
    problem = only_problem(handle_bridge(body(start="2024-01", end="2024-03", rules=orphan)))
    assert (problem["field"], problem["code"]) == ("categories", "category_parent")


def test_bad_fx_table() -> None:
    problem = only_problem(handle_bridge(body(start="2024-01", end="2024-03",
                                              fx={"target": "USD", "rates": {"EUR": {"2024-01-01": "-1"}}})))
    assert problem["record"] == {"kind": "fx", "id": None}
    assert (problem["field"], problem["code"]) == ("rates.EUR.2024-01-01", "rate_not_positive")


def test_request_shape_errors() -> None:
    payload = handle_bridge({"dataset": {"customers": {"id": "a"}, "invoices": []}, "start": "2024-01",
                             "end": "2024-03", "method": "daily", "extra": 1})
    problems = error_of(payload)["problems"]
    found = [(p["record"]["kind"], p["field"], p["code"]) for p in problems]
    assert found == [("dataset", "customers", "records_list"), ("dataset", "invoices", "extra_forbidden"),
                     ("request", "method", "literal_error"), ("request", "extra", "extra_forbidden")]
    assert error_of(payload)["message"] == "4 problems in the request"


def test_a_record_that_is_not_an_object_is_reported_by_position() -> None:
    problem = only_problem(handle_snapshot({"at": "2024-01-31", "dataset": {"customers": [
        {"id": "a", "name": "A"}, "b"]}}))
    assert problem["record"] == {"kind": "customer", "id": "#2"}


def test_body_that_is_not_an_object() -> None:
    problem = only_problem(handle_bridge("[1, 2]"))
    assert (problem["record"], problem["field"], problem["code"]) == (
        {"kind": "request", "id": None}, None, "model_type")


@pytest.mark.parametrize("text", ["{", "", "nul", b"\xff\xfe\x00", "[" * 100_000, "1" * 5000])
def test_body_that_is_not_json(text: str | bytes) -> None:
    payload = handle_bridge(text)
    error = error_of(payload)
    assert (error["code"], error["status"]) == ("invalid_json", 400)
    assert http_status(payload) == 400


def test_metric_errors() -> None:
    problem = only_problem(handle_metrics(body(start="2024-01", end="2024-03", gross_margin="1.5")))
    assert (problem["field"], problem["code"]) == ("gross_margin", "gross_margin_range")
    problem = only_problem(handle_cohorts(body(start="2024-01", end="2024-03", by="size")))
    assert (problem["code"], problem["record"]["kind"]) == ("invalid_metric_input", "request")
    problem = only_problem(handle_cohorts(body(start="2024-05", end="2024-03")))
    assert problem["code"] == "invalid_period"
    problem = only_problem(handle_projection({"starting_mrr": "-5", "start": "2024-01-31", "months": 1}))
    assert problem["code"] == "invalid_metric_input"


def test_amounts_beyond_exact_arithmetic() -> None:
    # A price with 120 significant digits would overflow exact arithmetic downstream; the models
    # refuse input amounts above 30 significant digits, so it is a data problem naming the plan.
    request = body(start="2024-01", end="2024-03")
    request["dataset"]["plans"][0]["price"] = usd("9" * 119 + ".5")
    problem = only_problem(handle_bridge(request))
    assert (problem["code"], problem["record"]["kind"], problem["field"]) == (
        "too_many_digits", "plan", "price")
    assert "at most 30 are supported" in problem["message"]


def test_error_payload_of_errors_raised_directly() -> None:
    with pytest.raises(MissingRateError) as missing:
        FxRates(target="USD", rates={}).rate("GBP", dataset().contracts[0].lines[0].start)
    assert error_payload(missing.value)["error"]["problems"][0]["record"] == {"kind": "fx", "id": "GBP"}
    with pytest.raises(InvalidDataError) as invalid:
        Dataset(customers=[{"id": "a"}])
    assert error_payload(invalid.value)["error"]["problems"][0]["field"] == "name"


def test_handlers_never_raise_on_junk() -> None:
    junk: list[Any] = [None, 1, "x", [], {"dataset": None}, {"dataset": {"plans": [None, 1, []]}},
                       {"start": None, "end": []}, {"policy": "customer"}, {"fx": {"rates": []}},
                       {"rules": {"rules": [None]}}, {"at": 10**4000}, {"starting_mrr": "NaN"}]
    for handler in (handle_bridge, handle_snapshot, handle_metrics, handle_cohorts, handle_projection):
        for item in junk:
            payload = handler(item if isinstance(item, dict) else json.dumps(item, default=str))
            assert http_status(payload) in (400, 422), (handler, item)
            error_of(payload)


# -- JSON Schemas -------------------------------------------------------------------------------


def test_a_schema_for_every_model_request_and_result() -> None:
    schemas = json_schemas()
    assert set(schemas) >= {
        "Money", "Customer", "Product", "Plan", "Contract", "ContractLine", "Dataset", "Policy", "FxRates",
        "RuleSet", "BridgeRequest", "SnapshotRequest", "MetricsRequest", "CohortRequest",
        "ProjectionRequest", "MrrSnapshot", "Bridge", "BridgeSeries", "Attribution", "RevenueMetrics",
        "MetricsSeries", "CohortTable", "Breakdown", "ScenarioComparison", "ErrorPayload",
    }
    for name, schema in schemas.items():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["title"] == name
        json.dumps(schema)
    # Results are described as written (strings), requests as read (strings or numbers).
    assert schemas["Bridge"]["properties"]["ending_mrr"]["type"] == "string"
    price = schemas["Money"]["properties"]["amount"]
    assert {"type": "string"} in price["anyOf"]
    # The dataset's records are described by their models.
    customers = schemas["Dataset"]["properties"]["customers"]
    assert customers["items"] == {"$ref": "#/$defs/Customer"}
    assert set(schemas["BridgeRequest"]["required"]) == {"start", "end"}


def test_schema_documents_are_the_schemas_as_text() -> None:
    documents = schema_documents()
    schemas = json_schemas()
    assert set(documents) == {f"{name}.schema.json" for name in schemas}
    for name, schema in schemas.items():
        assert json.loads(documents[f"{name}.schema.json"]) == schema


def test_payloads_match_their_schemas() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schemas = json_schemas()

    def check(name: str, instance: Any) -> None:
        validator = jsonschema.Draft202012Validator(schemas[name])
        validator.check_schema(schemas[name])
        validator.validate(instance)

    request = body(start="2024-01", end="2024-03", rules=RuleSet.default().describe(),
                   policy=json.loads(Policy().model_dump_json()))
    check("BridgeRequest", request)
    check("Dataset", json.loads(load_example().to_json()))
    check("Bridge", handle_bridge(request))
    check("BridgeSeries", handle_bridge({**request, "freq": "month"}))
    check("MrrSnapshot", handle_snapshot(body(at="2024-02-20")))
    check("RevenueMetrics", handle_metrics(body(start="2024-02", end="2024-03")))
    check("MetricsSeries", handle_metrics(body(start="2024-02", end="2024-04", freq="month")))
    check("CohortTable", handle_cohorts(body(start="2024-01", end="2024-04")))
    check("ErrorPayload", handle_bridge(body(start="2023-06", end="2024-03")))
    check("ErrorPayload", handle_bridge("{"))


def test_every_public_model_has_a_schema() -> None:
    # A new result type must be added to the service's schema list.
    from expansion_revenue import results

    names = {name for name in results.__all__
             if isinstance(getattr(results, name), type) and issubclass(getattr(results, name), BaseModel)}
    nested = {"AttributedPart", "EntityChange", "LineMrr", "Movement"}  # described inside their parents
    assert names - nested <= set(json_schemas())


def test_decimal_strings_are_exact() -> None:
    payload = handle_snapshot(body(at="2024-01-31"))
    assert Decimal(payload["total"]) == Decimal("50") + Decimal("2") * Decimal("28") * Decimal("1.10")
