"""Immutable result objects that check their own invariants."""

from expansion_revenue.results.bridge import COMPONENTS, Bridge, BridgeSeries, EntityChange, Movement, MovementKind
from expansion_revenue.results.snapshot import LineMrr, MrrSnapshot

__all__ = ["COMPONENTS", "Bridge", "BridgeSeries", "EntityChange", "LineMrr", "Movement", "MovementKind", "MrrSnapshot"]
