"""Immutable result objects that check their own invariants."""

from expansion_revenue.results.snapshot import LineMrr, MrrSnapshot

__all__ = ["LineMrr", "MrrSnapshot"]
