"""Threads: the GIL is released inside the core, and concurrent calls give the sequential
results."""

import sys
import threading
import time

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


class Spinner:
    """A thread that counts while it holds the GIL. With a switch interval far longer than the
    test, the main thread gives the GIL up only where C code releases it: the count moves during
    a call exactly when the call released the GIL (no timing involved)."""

    def __enter__(self):
        self.count = 0
        self._stop = threading.Event()
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(1000)
        self._thread = threading.Thread(target=self._spin)
        self._thread.start()
        return self

    def _spin(self):
        while not self._stop.is_set():
            self.count += 1
            time.sleep(0)  # releases the GIL: the main thread takes it back when its call returns

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        sys.setswitchinterval(self._interval)

    def moved_during(self, call):
        before = self.count
        call()
        return self.count - before


def test_gil_is_released_during_inference(acc, models):
    m = str(models / "mlp_test")
    x = np.random.default_rng(0).standard_normal((20_000, 16), dtype=np.float32)
    assert acc.describe(m)["inputs"][0]["shape"][0] == -1  # a dynamic batch dimension
    acc.process(m, {"x": x[:4]})  # loaded
    with Spinner() as spinner:
        assert spinner.moved_during(lambda: acc.process(m, {"x": x})) > 0
        # The control: a C call that keeps the GIL leaves the count where it was.
        assert spinner.moved_during(lambda: sum(range(2_000_000))) == 0


def test_gil_is_released_while_hashing_and_reading(acc):
    data = b"\x01" * (8 << 20)
    with Spinner() as spinner:
        cid = []
        assert spinner.moved_during(lambda: cid.append(acc.store_to_ipfs(data))) > 0
        assert spinner.moved_during(lambda: acc.query_ipfs(cid[0])) > 0
