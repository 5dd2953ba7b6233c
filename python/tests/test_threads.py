"""Threads: the GIL is released inside the core, and concurrent calls give the sequential
results."""

import threading

import numpy as np

from conftest import load_npy_dir


def test_eight_threads_same_results_as_sequential(acc, models):
    m = str(models / "bert_test")
    base = load_npy_dir(models / "bert_test/inputs")
    inputs = []
    for i in range(8):
        feed = dict(base)
        feed["input_ids"] = (base["input_ids"] + i) % 100
        inputs.append(feed)
    sequential = [acc.process(m, feed) for feed in inputs]
    results = [None] * 8
    errors = []

    def work(i):
        try:
            for _ in range(5):
                results[i] = acc.process(m, inputs[i])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for got, want in zip(results, sequential):
        assert got.keys() == want.keys()
        for name in want:
            np.testing.assert_array_equal(got[name], want[name])


def test_gil_is_released_during_inference(acc, models):
    """While one thread is inside a long inference, another keeps running Python code: with the
    GIL held for the call, the counter could not move until it returned."""
    m = str(models / "mlp_test")
    x = np.random.default_rng(0).standard_normal((200_000, 16), dtype=np.float32)
    assert acc.describe(m)["inputs"][0]["shape"][0] == -1  # a dynamic batch dimension
    acc.process(m, {"x": x[:4]})  # loaded
    counter = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            counter[0] += 1
    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        moved = []
        for _ in range(5):
            before = counter[0]
            acc.process(m, {"x": x})
            moved.append(counter[0] - before)
            if moved[-1] > 0:
                break
    finally:
        stop.set()
        spinner.join()
    assert moved[-1] > 0, moved


def test_gil_is_released_while_hashing(acc):
    data = b"\x01" * (32 << 20)
    counter = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            counter[0] += 1
    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        before = counter[0]
        acc.store_to_ipfs(data)
        moved = counter[0] - before
    finally:
        stop.set()
        spinner.join()
    assert moved > 0
