"""Immutable result objects that check their own invariants."""

from expansion_revenue.results.bridge import COMPONENTS, Bridge, BridgeSeries, Movement, MovementKind
from expansion_revenue.results.snapshot import LineMrr, MrrSnapshot

__all__ = ["COMPONENTS", "Bridge", "BridgeSeries", "LineMrr", "Movement", "MovementKind", "MrrSnapshot"]
