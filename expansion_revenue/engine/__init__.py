"""The engine: pure functions from a dataset (and a policy) to result objects. No I/O."""

from expansion_revenue.engine.mrr import mrr_snapshot

__all__ = ["mrr_snapshot"]
