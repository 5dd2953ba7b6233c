"""Bad input gets a Python exception with the core's message, never a crash."""

import asyncio
import gc

import numpy as np
import pytest

from conftest import load_npy_dir
from ipfs_accelerate_py import errors


def test_wrong_dtype(acc, models):
    m = str(models / "mlp_test")
    x = load_npy_dir(models / "mlp_test/inputs")["x"]
    with pytest.raises(errors.InvalidInput, match="x"):
        acc.process(m, {"x": x.astype(np.float64)})
    with pytest.raises(errors.InvalidInput, match="complex"):
        acc.process(m, {"x": x.astype(np.complex64)})
    with pytest.raises(errors.InvalidInput, match="byte order"):
        acc.process(m, {"x": x.astype(">f4")})
    with pytest.raises(ValueError):  # InvalidInput is a ValueError
        acc.process(m, {"x": np.array(["a", "b"])})


def test_wrong_shape_and_names(acc, models):
    m = str(models / "mlp_test")
    with pytest.raises(errors.InvalidInput, match="x"):
        acc.process(m, {"x": np.zeros((4, 15), np.float32)})
    with pytest.raises(errors.InvalidInput):
        acc.process(m, {"nope": np.zeros((4, 16), np.float32)})
    with pytest.raises(errors.InvalidInput, match="input names"):
        acc.process(m, {1: np.zeros((4, 16), np.float32)})
    with pytest.raises(errors.InvalidInput, match="numpy array"):
        acc._node.infer(m, {"x": [[1.0] * 16]})
    with pytest.raises(errors.InvalidInput, match="dict"):
        acc.run_model(m, [1, 2, 3])


def test_non_contiguous_input_is_accepted(acc, models):
    m = str(models / "mlp_test")
    x = load_npy_dir(models / "mlp_test/inputs")["x"]
    wide = np.zeros((4, 32), np.float32)
    wide[:, ::2] = x
    view = wide[:, ::2]
    assert not view.flags.c_contiguous
    np.testing.assert_array_equal(acc.process(m, {"x": view})["y"], acc.process(m, {"x": x})["y"])


def test_unknown_models(acc, tmp_path):
    x = {"x": np.zeros((1, 16), np.float32)}
    with pytest.raises(errors.NotFound):
        acc.process("no-such-model", x)
    with pytest.raises(errors.NotFound):
        acc.process("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", x)
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx model")
    with pytest.raises(errors.IpfsAccelerateError):
        acc.process(str(bad), x)


def test_text_input_needs_a_package(acc, models):
    with pytest.raises(errors.InvalidInput, match="tokenizer"):
        acc.process(str(models / "bert_test"), "some text")
    with pytest.raises(errors.Unsupported, match="this node only"):
        acc.process(str(models / "bert_test"), ["some text"], endpoint_type="remote")


def test_closed_event_loop(acc, models):
    m = str(models / "mlp_test")
    x = load_npy_dir(models / "mlp_test/inputs")["x"]
    loop = asyncio.new_event_loop()
    loop.close()
    coro = acc.process_async(m, {"x": x})
    with pytest.raises(RuntimeError, match="closed"):
        loop.run_until_complete(coro)
    coro.close()
    # A coroutine awaited outside any loop is an error too, not a crash.
    with pytest.raises(RuntimeError):
        acc.process_async(m, {"x": x}).send(None)
    gc.collect()


def test_exception_hierarchy():
    assert issubclass(errors.NotFound, errors.IpfsAccelerateError)
    assert issubclass(errors.Unsupported, NotImplementedError)
    assert issubclass(errors.Unavailable, ConnectionError)
    assert issubclass(errors.DeadlineExceeded, TimeoutError)
    assert errors.error_class("not_found") is errors.NotFound
    assert errors.error_class("whatever") is errors.InternalError
