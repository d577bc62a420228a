"""The claim registry loads once, and a read from another thread waits for that load."""

from __future__ import annotations

import pickle
import threading
import time

from gpdtheory_checks.registry import ClaimRegistry


def test_concurrent_first_reads_wait_for_one_load():
    reg = ClaimRegistry()
    calls = []

    def loader():
        calls.append(threading.get_ident())
        time.sleep(0.2)  # a slow catalogue: the other threads arrive while it loads
        for k in range(5):
            reg[f"claim.{k}"] = k

    reg.set_loader(loader)
    seen: list[object] = []

    def read():
        try:
            seen.append(reg["claim.4"])
        except KeyError as exc:  # what a half-filled table would give
            seen.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [4, 4, 4, 4] and len(calls) == 1


def test_reads_inside_the_loader_see_what_is_registered():
    reg = ClaimRegistry()

    def loader():
        reg["a"] = 1
        assert "a" in reg and "b" not in reg  # re-entrant: no deadlock, no second load
        reg["b"] = 2

    reg.set_loader(loader)
    assert list(reg) == ["a", "b"]


def test_the_registry_pickles_without_its_lock():
    reg = ClaimRegistry()
    reg["a"] = 1
    back = pickle.loads(pickle.dumps(reg))
    assert dict(back) == {"a": 1} and back.registered("a")
