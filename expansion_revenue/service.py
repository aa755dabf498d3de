"""The JSON boundary: run the engine from a JSON request body and answer with JSON.

For embedding the library in a web service, a queue worker or a serverless function. A request
is a pydantic model (:class:`BridgeRequest`, :class:`SnapshotRequest`, :class:`MetricsRequest`,
:class:`CohortRequest`, :class:`ProjectionRequest`) that holds everything the computation needs
as plain JSON: the dataset's records, the policy, the FX table, the rule set. A handler
(:func:`handle_bridge` ...) takes the body as text, bytes or an already parsed object and
returns a JSON-ready ``dict``:

* on success, the result exactly as ``result.model_dump(mode="json")`` writes it (Decimals as
  strings, dates ISO), so ``Bridge.model_validate(payload)`` gives back an equal bridge;
* on bad input, an error payload ``{"error": {"code", "status", "message", "problems"}}``
  where each problem has a ``code``, the ``record`` it is about (``kind`` and ``id``), the
  ``field`` and a ``message`` (see :class:`ErrorPayload`). ``status`` suggests the HTTP status:
  400 for a body that is not JSON, 422 for everything else.

Handlers never raise for bad input, never print, read or write anything, and keep no state:
they are pure functions of the body. Numbers in a JSON body are read as exact decimals
(``0.1`` is ``Decimal("0.1")``); sending amounts as strings is still the clearest.

:func:`json_schemas` gives the JSON Schema of every record, policy, request, result and of the
error payload; :func:`schema_documents` gives them as file name -> JSON text, ready to write.

>>> body = {"dataset": {"customers": [{"id": "a", "name": "A"}]}, "at": "2024-01-31"}
>>> handle_snapshot(body)["total"]
'0'
>>> handle_snapshot({"at": "2024-02-30"})["error"]["problems"][0]["field"]
'at'
"""

from __future__ import annotations

import datetime
import decimal
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from expansion_revenue.categories import DEFAULT_CATEGORIES, Categories
from expansion_revenue.dataset import Dataset
from expansion_revenue.engine.bridge import bridge_series, revenue_bridge
from expansion_revenue.engine.cohorts import cohort_table
from expansion_revenue.engine.metrics import period_metrics, series_metrics, trailing_metrics
from expansion_revenue.engine.mrr import mrr_snapshot
from expansion_revenue.engine.projection import project_mrr
from expansion_revenue.errors import (
    CurrencyMismatchError,
    ExpansionRevenueError,
    InvalidDataError,
    InvalidPeriodError,
    MetricInputError,
    MissingExtraError,
    MissingRateError,
    RuleError,
)
from expansion_revenue.fx import FxRates
from expansion_revenue.models import Contract, ContractLine, Customer, Interval, Plan, Product
from expansion_revenue.money import Amount, Currency, Money
from expansion_revenue.periods import Frequency, resolve_period
from expansion_revenue.policy import Policy
from expansion_revenue.results.attribution import Attribution
from expansion_revenue.results.breakdowns import Breakdown
from expansion_revenue.results.bridge import Bridge, BridgeMethod, BridgeSeries
from expansion_revenue.results.cohorts import CohortTable
from expansion_revenue.results.metrics import MetricsSeries, RevenueMetrics
from expansion_revenue.results.projection import ProjectionAssumptions, ScenarioComparison
from expansion_revenue.results.snapshot import MrrSnapshot
from expansion_revenue.rules.builtin import (
    BuiltinRule,
    PriceVolumeMixRule,
    ProductAddedRule,
    ProductRemovedRule,
)
from expansion_revenue.rules.ruleset import RuleSet

__all__ = [
    "JSON_SCHEMA_DIALECT",
    "Body",
    "BridgeRequest",
    "CohortRequest",
    "DatasetPayload",
    "ErrorDetail",
    "ErrorPayload",
    "MetricsRequest",
    "Problem",
    "ProblemRecord",
    "ProjectionRequest",
    "RuleSetDescription",
    "ServiceRequest",
    "SnapshotRequest",
    "error_payload",
    "handle",
    "handle_bridge",
    "handle_cohorts",
    "handle_metrics",
    "handle_projection",
    "handle_snapshot",
    "http_status",
    "json_schemas",
    "schema_documents",
]

#: The JSON Schema dialect pydantic writes (and :func:`json_schemas` declares).
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: What a handler accepts: JSON text, JSON bytes (UTF-8, -16 or -32), or a parsed JSON object.
Body = str | bytes | bytearray | Mapping[str, Any]


# -- the dataset and the rule set as data ---------------------------------------------------------


def _keep_records(value: Any, _handler: core_schema.ValidatorFunctionWrapHandler) -> tuple[Any, ...]:
    # The records are validated by Dataset, which reports every problem by record id; here
    # only the shape (a list) is checked.
    if isinstance(value, (list, tuple)):
        return tuple(value)
    raise PydanticCustomError("records_list", "expected a list of records", {})


@dataclass(frozen=True)
class _RecordsOf:
    """Marks a field holding raw records of ``model``: kept as given, described as ``model``."""

    model: type[BaseModel]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        described = core_schema.list_schema(handler.generate_schema(self.model))
        return core_schema.no_info_wrap_validator_function(
            _keep_records, described,
            serialization=core_schema.plain_serializer_function_ser_schema(list),
        )


class DatasetPayload(BaseModel):
    """A dataset as JSON: the shape ``Dataset.to_json()`` writes.

    The records are kept as sent and checked together when :meth:`to_dataset` builds the
    :class:`~expansion_revenue.dataset.Dataset`, which reports every problem with its record
    kind, id and field. A ``Dataset`` is accepted in its place.

    Attributes:
        customers: customer records.
        products: product records.
        plans: plan records.
        contracts: contract records, each with its lines.

    >>> DatasetPayload(customers=[{"id": "a", "name": "A"}]).to_dataset()
    Dataset(1 customers, 0 products, 0 plans, 0 contracts, 0 lines)
    """

    model_config = ConfigDict(frozen=True, extra="forbid", title="Dataset")

    customers: Annotated[tuple[Any, ...], _RecordsOf(Customer)] = ()
    products: Annotated[tuple[Any, ...], _RecordsOf(Product)] = ()
    plans: Annotated[tuple[Any, ...], _RecordsOf(Plan)] = ()
    contracts: Annotated[tuple[Any, ...], _RecordsOf(Contract)] = ()

    @model_validator(mode="before")
    @classmethod
    def _from_dataset(cls, value: Any) -> Any:
        return value.to_dict() if isinstance(value, Dataset) else value

    def to_dataset(self) -> Dataset:
        """The validated dataset.

        Raises:
            InvalidDataError: listing every problem in the records.

        >>> DatasetPayload(plans=[{"id": "p"}]).to_dataset()
        Traceback (most recent call last):
        ...
        expansion_revenue.errors.InvalidDataError: 4 problems in the data: ...
        """
        return Dataset(customers=self.customers, products=self.products, plans=self.plans,
                       contracts=self.contracts)


_Rule = Annotated[BuiltinRule, Field(discriminator="kind")]


class RuleSetDescription(BaseModel):
    """A rule set as JSON: the shape ``RuleSet.describe()`` writes, built-in rules only.

    A request carries data, not code: custom rules cannot be sent, but the built-in rules'
    parameters (categories, the price-volume-mix order) and extra leaf categories can.

    Attributes:
        rules: the rules in order, each tagged by ``kind`` (``product_added``,
            ``product_removed``, ``price_volume_mix``).
        categories: every leaf category (default: the built-in tree).

    >>> spec = RuleSetDescription.model_validate(RuleSet.default().describe())
    >>> spec.to_rule_set() == RuleSet.default()
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid", title="RuleSet")

    rules: tuple[_Rule, ...] = (ProductAddedRule(), ProductRemovedRule(), PriceVolumeMixRule())
    categories: tuple[str, ...] = DEFAULT_CATEGORIES

    @field_validator("categories")
    @classmethod
    def _tree(cls, leaves: tuple[str, ...]) -> tuple[str, ...]:
        try:
            Categories(leaves=leaves)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            raise PydanticCustomError(first["type"], "{message}", {"message": first["msg"]}) from None
        return leaves

    @model_validator(mode="after")
    def _buildable(self) -> RuleSetDescription:
        try:
            self.to_rule_set()
        except RuleError as exc:
            raise PydanticCustomError("rule_error", "{message}", {"message": str(exc)}) from None
        return self

    def to_rule_set(self) -> RuleSet:
        """The rule set.

        >>> RuleSetDescription().to_rule_set().names
        ('product_added', 'product_removed', 'price_volume_mix')
        """
        return RuleSet(rules=self.rules, categories=Categories(leaves=self.categories))


# -- requests ---------------------------------------------------------------------------------

_BOUND = re.compile(r"\d{4}-\d{2}(-\d{2})?")


def _period_bound(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        if _BOUND.fullmatch(text):
            try:
                datetime.date.fromisoformat(text if len(text) == 10 else f"{text}-01")
            except ValueError:
                pass
            else:
                return text
    raise PydanticCustomError(
        "period_bound", "expected a date (YYYY-MM-DD) or a month (YYYY-MM), got {value}",
        {"value": repr(value)})


#: A period endpoint: a date (``YYYY-MM-DD``) or a month (``YYYY-MM``).
PeriodBound = Annotated[str, BeforeValidator(_period_bound), WithJsonSchema({
    "type": "string", "pattern": r"^\d{4}-\d{2}(-\d{2})?$",
    "description": "a date (YYYY-MM-DD) or a month (YYYY-MM)"})]


class ServiceRequest(BaseModel):
    """Base of the request models: frozen, unknown fields refused, runs with :meth:`run`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def run(self) -> BaseModel:
        """Compute the result; raises the library's errors (handlers turn them into payloads).

        >>> SnapshotRequest(at="2024-01-31").run().currency   # an empty dataset: no currency
        'XXX'
        """
        raise NotImplementedError


class _PeriodRequest(ServiceRequest):
    dataset: DatasetPayload = Field(default_factory=DatasetPayload)
    policy: Policy = Field(default_factory=Policy)
    start: PeriodBound
    end: PeriodBound
    currency: Currency | None = None
    fx: FxRates | None = None

    @field_validator("end")
    @classmethod
    def _not_before_start(cls, end: str, info: ValidationInfo) -> str:
        start, policy = info.data.get("start"), info.data.get("policy")
        if isinstance(start, str) and isinstance(policy, Policy):
            try:
                resolve_period(start, end, policy.month_snapshot)
            except InvalidPeriodError as exc:
                raise PydanticCustomError("invalid_period", "{message}", {"message": str(exc)}) from None
        return end


class BridgeRequest(_PeriodRequest):
    """Run :func:`~expansion_revenue.engine.bridge.revenue_bridge`, or a series with ``freq``.

    Attributes:
        dataset: the records.
        policy: the conventions (default :class:`~expansion_revenue.policy.Policy`).
        start: opening date, or ``YYYY-MM`` for "from the start of that month".
        end: closing date, or ``YYYY-MM`` for "to the end of that month".
        currency: the reporting currency (default: the FX table's target or the data's only one).
        fx: FX rates into the reporting currency.
        method: ``snapshot`` or ``events``.
        freq: ``None`` for one bridge (a ``Bridge``), else a ``BridgeSeries`` of ``day``,
            ``week``, ``month``, ``quarter`` or ``year`` periods.
        rules: the rule set for the attribution (default: the built-in rules).
        attribution: whether to attribute expansion and contraction.

    >>> BridgeRequest(start="2024-01", end="2024-03").run().end
    datetime.date(2024, 3, 31)
    """

    method: BridgeMethod = "snapshot"
    freq: Frequency | None = None
    rules: RuleSetDescription | None = None
    attribution: bool = True

    def run(self) -> Bridge | BridgeSeries:
        """The bridge (or series of bridges) the request asks for.

        >>> BridgeRequest(start="2024-01", end="2024-03", freq="month").run().bridges[0].end
        datetime.date(2024, 1, 31)
        """
        dataset = self.dataset.to_dataset()
        rules = self.rules.to_rule_set() if self.rules is not None else None
        if self.freq is None:
            return revenue_bridge(dataset, self.start, self.end, method=self.method,
                                  currency=self.currency, fx=self.fx, policy=self.policy, rules=rules,
                                  attribution=self.attribution)
        return bridge_series(dataset, self.start, self.end, freq=self.freq, method=self.method,
                             currency=self.currency, fx=self.fx, policy=self.policy, rules=rules,
                             attribution=self.attribution)


class SnapshotRequest(ServiceRequest):
    """Run :func:`~expansion_revenue.engine.mrr.mrr_snapshot`: MRR on one date.

    Attributes:
        dataset: the records.
        at: the snapshot date.
        currency: the reporting currency.
        fx: FX rates into the reporting currency.
        policy: the conventions.

    >>> SnapshotRequest(at="2024-01-31").run().total
    Decimal('0')
    """

    dataset: DatasetPayload = Field(default_factory=DatasetPayload)
    at: datetime.date
    currency: Currency | None = None
    fx: FxRates | None = None
    policy: Policy = Field(default_factory=Policy)

    def run(self) -> MrrSnapshot:
        """The snapshot.

        >>> SnapshotRequest(at="2024-01-31").run().at
        datetime.date(2024, 1, 31)
        """
        return mrr_snapshot(self.dataset.to_dataset(), self.at, currency=self.currency, fx=self.fx,
                            policy=self.policy)


class MetricsRequest(_PeriodRequest):
    """Revenue metrics (NRR, GRR, churn and expansion rates ...) of a period or of each period.

    Without ``freq``: :func:`~expansion_revenue.engine.metrics.period_metrics` of the whole
    period (a ``RevenueMetrics``). With ``freq``: the metrics of each ``freq`` period, or with
    ``window > 1`` of each trailing window of that many periods (a ``MetricsSeries``).

    Attributes:
        method: ``snapshot`` or ``events``.
        freq: the period length of a series, or ``None``.
        window: periods per trailing window (with ``freq``); 1 gives per-period metrics.
        gross_margin: for LTV, a fraction in ``(0, 1]``.

    >>> MetricsRequest(start="2024-01", end="2024-06").run().reasons["nrr"]
    'starting MRR is 0: no revenue to retain'
    """

    method: BridgeMethod = "snapshot"
    freq: Frequency | None = None
    window: int = Field(default=1, ge=1, le=1200)
    gross_margin: Amount | None = None

    @field_validator("gross_margin")
    @classmethod
    def _margin(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and not 0 < value <= 1:
            raise PydanticCustomError("gross_margin_range", "must be above 0 and at most 1, got {value}",
                                      {"value": str(value)})
        return value

    def run(self) -> RevenueMetrics | MetricsSeries:
        """The metrics.

        >>> MetricsRequest(start="2024-01", end="2024-03", freq="month").run().window
        1
        """
        dataset = self.dataset.to_dataset()
        if self.freq is None:
            return period_metrics(dataset, self.start, self.end, method=self.method,
                                  currency=self.currency, fx=self.fx, policy=self.policy,
                                  gross_margin=self.gross_margin)
        series = bridge_series(dataset, self.start, self.end, freq=self.freq, method=self.method,
                               currency=self.currency, fx=self.fx, policy=self.policy,
                               attribution=False)
        opening = (mrr_snapshot(dataset, series.bridges[0].start, currency=series.bridges[0].currency,
                                fx=self.fx, policy=self.policy) if series.bridges else None)
        if self.window == 1:
            return series_metrics(series, starting_entities=opening, gross_margin=self.gross_margin)
        return trailing_metrics(series, self.window, starting_entities=opening,
                                gross_margin=self.gross_margin)


class CohortRequest(ServiceRequest):
    """Run :func:`~expansion_revenue.engine.cohorts.cohort_table`.

    Attributes:
        dataset: the records.
        start: the first cohort month (``YYYY-MM`` or a date in it).
        end: the last month observed.
        by: ``first_revenue_month`` or ``attribute:<name>``.
        currency: the reporting currency.
        fx: FX rates into the reporting currency.
        policy: the conventions.

    >>> CohortRequest(start="2024-01", end="2024-03").run().rows
    ()
    """

    dataset: DatasetPayload = Field(default_factory=DatasetPayload)
    start: PeriodBound
    end: PeriodBound
    by: str = "first_revenue_month"
    currency: Currency | None = None
    fx: FxRates | None = None
    policy: Policy = Field(default_factory=Policy)

    def run(self) -> CohortTable:
        """The cohort table.

        >>> CohortRequest(start="2024-01", end="2024-03").run().by
        'first_revenue_month'
        """
        return cohort_table(self.dataset.to_dataset(), self.start, self.end, by=self.by,
                            currency=self.currency, fx=self.fx, policy=self.policy)


class ProjectionRequest(ServiceRequest):
    """Run :func:`~expansion_revenue.engine.projection.project_mrr`: the MRR/ARR calculator.

    Attributes:
        starting_mrr: MRR on ``start``.
        start: the date the projection starts from.
        months: how many months to project.
        assumptions: the monthly drivers.
        currency: the currency of the amounts.
        policy: the policy recorded on the bridges.
        places: decimal places each month's movements are rounded to.

    >>> ProjectionRequest(starting_mrr="100", start="2024-01-31", months=2).run().bridges[-1].end
    datetime.date(2024, 3, 31)
    """

    starting_mrr: Amount
    start: datetime.date
    months: int = Field(ge=0, le=1200)
    assumptions: ProjectionAssumptions = Field(default_factory=ProjectionAssumptions)
    currency: Currency = "USD"
    policy: Policy = Field(default_factory=Policy)
    places: int = Field(default=2, ge=0, le=18)

    def run(self) -> BridgeSeries:
        """The projected monthly bridges.

        >>> len(ProjectionRequest(starting_mrr="100", start="2024-01-31", months=3).run().bridges)
        3
        """
        return project_mrr(self.starting_mrr, self.start, self.months, self.assumptions,
                           currency=self.currency, policy=self.policy, places=self.places)


# -- the error payload ------------------------------------------------------------------------


class ProblemRecord(BaseModel):
    """The record a problem is about.

    Attributes:
        kind: a dataset record kind (``customer``, ``product``, ``plan``, ``contract``,
            ``line``), a part of the request (``policy``, ``fx``, ``rules``, ``dataset``,
            ``assumptions``), or ``request`` for the request's own fields.
        id: the record's id (``#3`` for the third record when it has none), the currency of
            a missing FX rate, the name of a failing rule, or ``None``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    id: str | None = None


class Problem(BaseModel):
    """One problem in a request.

    Attributes:
        code: a stable, machine-readable code (``unknown_reference``, ``missing_rate`` ...).
        record: the record it is about.
        field: the field at fault (dotted path), or ``None``.
        message: what is wrong, in words.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    record: ProblemRecord
    field: str | None = None
    message: str


class ErrorDetail(BaseModel):
    """Why a request failed.

    Attributes:
        code: ``invalid_json``, ``invalid_request``, ``invalid_data``, ``missing_rate``,
            ``invalid_period``, ``currency_mismatch``, ``rule_error``, ``invalid_metric_input``,
            ``inexact``, ``missing_extra`` or ``error`` (another library error).
        status: the suggested HTTP status (400: the body is not JSON; 422: anything else).
        message: a summary.
        problems: every problem found (at least one).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    status: int
    message: str
    problems: tuple[Problem, ...]


class ErrorPayload(BaseModel):
    """What a handler returns when the request cannot be computed: ``{"error": {...}}``.

    >>> ErrorPayload.model_validate(handle_bridge("{")).error.code
    'invalid_json'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    error: ErrorDetail


#: Request parts reported as their own record kind (the rest is ``request``).
_SECTIONS = frozenset({"dataset", "policy", "fx", "rules", "assumptions"})

#: Error class -> (code, record kind, field) for single-problem errors, most specific first.
_SINGLE: tuple[tuple[type[ExpansionRevenueError], str, str, str | None], ...] = (
    (InvalidPeriodError, "invalid_period", "request", None),
    (CurrencyMismatchError, "currency_mismatch", "request", "currency"),
    (RuleError, "rule_error", "rules", None),
    (MetricInputError, "invalid_metric_input", "request", None),
    (MissingExtraError, "missing_extra", "request", None),
)


_RULE_NAME = re.compile(r"rule '([^']+)'")


def _plural(count: int, what: str) -> str:
    return f"{count} {what}{'s' if count != 1 else ''}"


def _payload(code: str, status: int, message: str, problems: list[Problem]) -> dict[str, Any]:
    detail = ErrorDetail(code=code, status=status, message=message, problems=tuple(problems))
    return ErrorPayload(error=detail).model_dump(mode="json")


def error_payload(
    error: ValidationError | ExpansionRevenueError | decimal.DecimalException,
) -> dict[str, Any]:
    """The JSON error payload for a request validation error or a library error.

    A ``decimal`` signal (amounts too large or too precise for the exact arithmetic context,
    which allows 120 significant digits) becomes an ``inexact`` error.

    Handlers call it for you; use it to answer in the same format when calling the engine
    directly.

    >>> from expansion_revenue import Dataset
    >>> try:
    ...     Dataset(customers=[{"id": "a", "name": "A", "parent_id": "zz"}])
    ... except InvalidDataError as exc:
    ...     error = error_payload(exc)["error"]
    >>> error["code"], error["status"], error["problems"][0]
    ('invalid_data', 422, {'code': 'unknown_reference', 'record': {'kind': 'customer', 'id': 'a'},
     'field': 'parent_id', 'message': "unknown customer 'zz'"})
    """
    if isinstance(error, ValidationError):
        problems = []
        for item in error.errors(include_url=False):
            loc = [str(part) for part in item["loc"]]
            kind = loc.pop(0) if loc and loc[0] in _SECTIONS else "request"
            problems.append(Problem(code=item["type"], record=ProblemRecord(kind=kind),
                                    field=".".join(loc) or None, message=item["msg"]))
        return _payload("invalid_request", 422, f"{_plural(len(problems), 'problem')} in the request",
                        problems)
    if isinstance(error, InvalidDataError):
        problems = [Problem(code=p.code, record=ProblemRecord(kind=p.kind, id=p.record_id),
                            field=p.field, message=p.message) for p in error.problems]
        return _payload("invalid_data", 422, f"{_plural(len(problems), 'problem')} in the data",
                        problems)
    if isinstance(error, decimal.DecimalException):
        message = (f"the amounts are too large or too precise to compute exactly "
                   f"({type(error).__name__}: more than 120 significant digits)")
        problem = Problem(code="inexact", record=ProblemRecord(kind="request"), message=message)
        return _payload("inexact", 422, message, [problem])
    message = str(error)
    if isinstance(error, MissingRateError):
        problem = Problem(code="missing_rate", record=ProblemRecord(kind="fx", id=error.currency),
                          field=f"rates.{error.currency}", message=message)
        return _payload("missing_rate", 422, message, [problem])
    code, kind, field = "error", "request", None
    for cls, cls_code, cls_kind, cls_field in _SINGLE:
        if isinstance(error, cls):
            code, kind, field = cls_code, cls_kind, cls_field
            break
    # A rule error from the engine names its rule first: "rule 'x' on entity ...".
    named = _RULE_NAME.match(message) if isinstance(error, RuleError) else None
    problem = Problem(code=code, record=ProblemRecord(kind=kind, id=named.group(1) if named else None),
                      field=field, message=message)
    return _payload(code, 422, message, [problem])


def http_status(payload: Mapping[str, Any]) -> int:
    """The HTTP status to answer a handler's payload with: 200, or the error's suggestion.

    >>> http_status(handle_snapshot({"at": "2024-01-31"})), http_status(handle_snapshot(b"[1,"))
    (200, 400)
    """
    error = payload.get("error")
    if isinstance(error, Mapping) and isinstance(error.get("status"), int):
        return int(error["status"])
    return 200


# -- handlers ---------------------------------------------------------------------------------


def _parse(body: Body) -> Any:
    if isinstance(body, Mapping):
        return dict(body)
    return json.loads(bytes(body) if isinstance(body, bytearray) else body, parse_float=Decimal)


def handle(request_type: type[ServiceRequest], body: Body) -> dict[str, Any]:
    """Validate ``body`` as a ``request_type``, run it, and return the JSON-ready result or error.

    Args:
        request_type: :class:`BridgeRequest`, :class:`SnapshotRequest`, :class:`MetricsRequest`,
            :class:`CohortRequest` or :class:`ProjectionRequest`.
        body: the request as JSON text or bytes, or already parsed.

    Returns:
        ``result.model_dump(mode="json")``, or an error payload (see :class:`ErrorPayload`).
        It never raises for bad input; any other exception is a bug and propagates (a web
        service answers it with a 500).

    >>> handle(ProjectionRequest, '{"starting_mrr": "100", "start": "2024-01-31", "months": 1}')[
    ...     "bridges"][0]["ending_mrr"]
    '100.00'
    """
    try:
        data = _parse(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        reason = str(exc) if isinstance(exc, ValueError) else "the JSON is nested too deeply"
        problem = Problem(code="invalid_json", record=ProblemRecord(kind="request"), message=reason)
        return _payload("invalid_json", 400, "the body is not valid JSON", [problem])
    try:
        request = request_type.model_validate(data)
    except ValidationError as exc:
        return error_payload(exc)
    try:
        result = request.run()
    except (ExpansionRevenueError, decimal.DecimalException) as exc:
        return error_payload(exc)
    return result.model_dump(mode="json")


def handle_bridge(body: Body) -> dict[str, Any]:
    """Run a :class:`BridgeRequest`: a ``Bridge``, or a ``BridgeSeries`` when ``freq`` is set.

    >>> payload = handle_bridge({"start": "2024-01", "end": "2024-03"})
    >>> Bridge.model_validate(payload).ending_mrr, payload["ending_mrr"]
    (Decimal('0'), '0')
    >>> handle_bridge({"start": "2024-03-31", "end": "2024-01-31"})["error"]["problems"][0]["message"]
    'start 2024-03-31 is after end 2024-01-31'
    """
    return handle(BridgeRequest, body)


def handle_snapshot(body: Body) -> dict[str, Any]:
    """Run a :class:`SnapshotRequest`: an ``MrrSnapshot``.

    >>> handle_snapshot('{"at": "2024-01-31", "currency": "EUR"}')["currency"]
    'EUR'
    """
    return handle(SnapshotRequest, body)


def handle_metrics(body: Body) -> dict[str, Any]:
    """Run a :class:`MetricsRequest`: ``RevenueMetrics``, or a ``MetricsSeries`` with ``freq``.

    >>> handle_metrics({"start": "2024-01", "end": "2024-03"})["nrr"] is None
    True
    """
    return handle(MetricsRequest, body)


def handle_cohorts(body: Body) -> dict[str, Any]:
    """Run a :class:`CohortRequest`: a ``CohortTable``.

    >>> handle_cohorts({"start": "2024-01", "end": "2024-03"})["rows"]
    []
    """
    return handle(CohortRequest, body)


def handle_projection(body: Body) -> dict[str, Any]:
    """Run a :class:`ProjectionRequest`: a ``BridgeSeries`` of projected months.

    >>> handle_projection({"starting_mrr": "100", "start": "2024-01-31", "months": -1})["error"]["code"]
    'invalid_request'
    """
    return handle(ProjectionRequest, body)


# -- JSON Schemas -----------------------------------------------------------------------------

#: What a client sends: described as the service validates it.
_INPUTS: tuple[type[BaseModel], ...] = (
    Money, Interval, Customer, Product, Plan, ContractLine, Contract, DatasetPayload, Policy, FxRates,
    RuleSetDescription, ProjectionAssumptions, BridgeRequest, SnapshotRequest, MetricsRequest,
    CohortRequest, ProjectionRequest,
)
#: What the service answers: described as it serializes (amounts as strings).
_OUTPUTS: tuple[type[BaseModel], ...] = (
    MrrSnapshot, Bridge, BridgeSeries, Attribution, RevenueMetrics, MetricsSeries, CohortTable,
    Breakdown, ScenarioComparison, ErrorPayload,
)


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of every record, policy, request, result and of the error payload.

    Keyed by name (``Bridge``, ``BridgeRequest``, ``Dataset``, ``RuleSet`` ...). Inputs are
    described as they are validated (an amount may be a string or a number), results as they
    are written (an amount is a string).

    >>> schemas = json_schemas()
    >>> schemas["Bridge"]["properties"]["starting_mrr"]
    {'title': 'Starting Mrr', 'type': 'string'}
    >>> sorted(schemas["Dataset"]["properties"])
    ['contracts', 'customers', 'plans', 'products']
    """
    out: dict[str, dict[str, Any]] = {}
    modes: tuple[tuple[tuple[type[BaseModel], ...], Literal["validation", "serialization"]], ...] = (
        (_INPUTS, "validation"), (_OUTPUTS, "serialization"))
    for models, mode in modes:
        for model in models:
            schema = model.model_json_schema(mode=mode)
            out[str(schema.get("title", model.__name__))] = {"$schema": JSON_SCHEMA_DIALECT, **schema}
    return out


def schema_documents() -> dict[str, str]:
    """Every schema of :func:`json_schemas` as file name -> JSON text, ready to write.

    >>> docs = schema_documents()
    >>> json.loads(docs["Bridge.schema.json"])["title"]
    'Bridge'
    """
    return {f"{name}.schema.json": json.dumps(schema, indent=2) + "\n"
            for name, schema in json_schemas().items()}

