"""Group commit: concurrent requests share batches, each keeps its own outcome."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from polyshop.runtime.group_commit import GroupCommit


class Recorder:
    """A batch runner that remembers its batches and can be held at its first batch."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def __call__(self, requests: Sequence[str]) -> list[str | BaseException]:
        self.batches.append(list(requests))
        self.entered.set()
        self.release.wait(10)
        if any(r.startswith("bad") for r in requests) and len(requests) > 1:
            raise RuntimeError("the batch failed as a whole")
        return [ValueError(r) if r.startswith("bad") else r.upper() for r in requests]


def submit_all(group: GroupCommit[str, str], requests: list[str]) -> dict[str, object]:
    outcomes: dict[str, object] = {}
    lock = threading.Lock()

    def one(request: str) -> None:
        try:
            outcome: object = group.submit(request)
        except Exception as exc:
            outcome = exc
        with lock:
            outcomes[request] = outcome

    threads = [threading.Thread(target=one, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return outcomes


def queue_behind(
    group: GroupCommit[str, str], requests: list[str]
) -> tuple[threading.Thread, dict[str, object]]:
    """Submit `requests` from threads of their own; return once they all wait in the queue."""
    outcomes: dict[str, object] = {}
    waiting = threading.Thread(target=lambda: outcomes.update(submit_all(group, requests)))
    waiting.start()
    while group.waiting < len(requests):
        threading.Event().wait(0.001)
    return waiting, outcomes


def hold_first_batch(runner: Recorder, group: GroupCommit[str, str]) -> threading.Thread:
    """Start one request and keep its batch running until `runner.release` is set."""
    runner.release.clear()
    leader = threading.Thread(target=group.submit, args=("first",))
    leader.start()
    assert runner.entered.wait(5)
    return leader


def test_an_idle_request_runs_at_once_and_alone():
    runner = Recorder()
    group = GroupCommit(runner)

    assert group.submit("a") == "A"
    assert runner.batches == [["a"]]


def test_requests_that_arrive_during_a_batch_share_the_next_one():
    runner = Recorder()
    group = GroupCommit(runner)
    leader = hold_first_batch(runner, group)
    waiting, outcomes = queue_behind(group, list("bcde"))
    runner.release.set()
    waiting.join(10)
    leader.join(10)

    assert outcomes == {"b": "B", "c": "C", "d": "D", "e": "E"}
    assert runner.batches[0] == ["first"]
    assert sorted(runner.batches[1]) == list("bcde")
    assert len(runner.batches) == 2


def test_a_failing_batch_is_run_again_one_by_one_so_only_the_culprit_fails():
    runner = Recorder()
    group = GroupCommit(runner)
    leader = hold_first_batch(runner, group)
    waiting, outcomes = queue_behind(group, ["x", "bad", "y"])
    runner.release.set()
    waiting.join(10)
    leader.join(10)

    assert outcomes["x"] == "X"
    assert outcomes["y"] == "Y"
    assert isinstance(outcomes["bad"], ValueError)
    assert sorted(map(tuple, runner.batches[2:])) == [("bad",), ("x",), ("y",)]


def test_requests_with_one_key_never_share_a_batch():
    runner = Recorder()
    group = GroupCommit(runner, key=lambda r: r[0])
    leader = hold_first_batch(runner, group)
    waiting, outcomes = queue_behind(group, ["k1", "k2", "j"])
    runner.release.set()
    waiting.join(10)
    leader.join(10)

    assert outcomes == {"k1": "K1", "k2": "K2", "j": "J"}
    for batch in runner.batches:
        keys = [r[0] for r in batch]
        assert len(keys) == len(set(keys)), runner.batches


def test_a_batch_is_never_larger_than_its_bound():
    runner = Recorder()
    group = GroupCommit(runner, max_batch=3)
    leader = hold_first_batch(runner, group)
    requests = [f"r{i}" for i in range(7)]
    waiting, outcomes = queue_behind(group, requests)
    runner.release.set()
    waiting.join(10)
    leader.join(10)

    assert outcomes == {r: r.upper() for r in requests}
    assert [len(b) for b in runner.batches[1:]] == [3, 3, 1]
