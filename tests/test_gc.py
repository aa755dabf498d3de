"""Pausing the garbage collector for bulk work: state restored, cycles still collected."""

from __future__ import annotations

import gc
import weakref

from expansion_revenue._gc import collection_paused


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_collection_is_paused_inside_and_restored_after() -> None:
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()  # it was off on entry: it stays off
    finally:
        gc.enable()


def test_objects_made_while_paused_leave_the_youngest_generation() -> None:
    with collection_paused():
        kept = [[index] for index in range(10_000)]
    assert gc.get_count()[0] < 10_000  # moved on, not waiting for a young collection
    assert len(kept) == 10_000


def test_cycles_made_while_paused_are_still_collected() -> None:
    with collection_paused():
        first, second = Node(), Node()
        first.other, second.other = second, first
        ref = weakref.ref(first)
        del first, second
    gc.collect()
    assert ref() is None


def test_objects_the_program_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collection_paused():
            _ = [[index] for index in range(100)]
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
