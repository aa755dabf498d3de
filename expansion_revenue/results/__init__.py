"""Immutable result objects that check their own invariants."""

from expansion_revenue.records import Records
from expansion_revenue.results.attribution import AttributedPart, Attribution
from expansion_revenue.results.bridge import (
    COMPONENTS,
    Bridge,
    BridgeSeries,
    EntityChange,
    Movement,
    MovementKind,
)
from expansion_revenue.results.snapshot import LineMrr, MrrSnapshot

__all__ = [
    "COMPONENTS",
    "AttributedPart",
    "Attribution",
    "Bridge",
    "BridgeSeries",
    "EntityChange",
    "LineMrr",
    "Movement",
    "MovementKind",
    "MrrSnapshot",
    "Records",
]
