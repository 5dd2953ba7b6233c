"""The original project's API on real models: models by path, CID and alias; sync, asyncio and
anyio forms; hardware, capabilities, benchmarks, and what is not there yet."""

import asyncio

import anyio
import numpy as np
import pytest

import ipfs_accelerate_py
from conftest import load_npy_dir
from ipfs_accelerate_py import errors, get_instance, ipfs_accelerate_py as Accelerator


def rel_l2(a, b):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def test_package_names_and_docstrings():
    public = [n for n in ipfs_accelerate_py.__all__]
    for name in public:
        assert getattr(ipfs_accelerate_py, name).__doc__, name
    for name in dir(Accelerator):
        if not name.startswith("_"):
            assert getattr(Accelerator, name).__doc__, name
    assert ipfs_accelerate_py.__version__
    import os
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"


def test_process_mlp_matches_pytorch(acc, models):
    ref_in = load_npy_dir(models / "mlp_test/inputs")
    ref_out = load_npy_dir(models / "mlp_test/outputs")
    out = acc.process(model=str(models / "mlp_test"), input_data=ref_in, endpoint_type="cpu")
    assert set(out) == {"y"}
    assert out["y"].dtype == np.float32 and out["y"].shape == ref_out["y"].shape
    assert rel_l2(out["y"], ref_out["y"]) < 1e-5
    # One input: the array alone will do; lists take the model's dtype.
    again = acc.process(str(models / "mlp_test"), ref_in["x"])
    np.testing.assert_array_equal(again["y"], out["y"])
    listed = acc.process(str(models / "mlp_test"), {"x": ref_in["x"].tolist()})
    np.testing.assert_array_equal(listed["y"], out["y"])


def test_outputs_are_not_copies_and_stay_valid(acc, models):
    x = load_npy_dir(models / "mlp_test/inputs")["x"]
    out = acc.process(str(models / "mlp_test"), {"x": x})["y"]
    assert out.base is not None  # a view over the engine's buffer (kept alive by the array)
    first = out.copy()
    for _ in range(3):
        acc.process(str(models / "mlp_test"), {"x": x + 1})
    np.testing.assert_array_equal(out, first)


def test_models_by_cid_and_alias(acc, models, repo):
    import subprocess
    from conftest import IA_BIN
    root = subprocess.run([str(IA_BIN), "--repo", str(repo), "add", "-Q", "-r", "--alias", "mlp",
                           str(models / "mlp_test")], capture_output=True, text=True, check=True)
    cid = root.stdout.strip()
    x = load_npy_dir(models / "mlp_test/inputs")["x"]
    by_path = acc.process(str(models / "mlp_test"), {"x": x})["y"]
    np.testing.assert_array_equal(acc.process(cid, {"x": x})["y"], by_path)
    np.testing.assert_array_equal(acc.process("mlp", {"x": x})["y"], by_path)
    info = acc.describe("mlp")
    assert info["inputs"][0]["name"] == "x" and info["inputs"][0]["dtype"] == "float32"
    assert info["cid"].startswith("baf")
    assert {m["name"] for m in acc.list_models()} >= {"mlp", cid}


def test_init_endpoints_sync_and_async(acc, models):
    m = str(models / "mlp_test")
    info = asyncio.run(acc.init_endpoints([m]))
    assert info[m]["outputs"][0]["name"] == "y"
    assert acc.endpoints["local_endpoints"][m] == ["cpu"]
    assert acc.init_endpoints_sync(m)[m]["cid"] == info[m]["cid"]
    with pytest.raises(NotImplementedError, match="configuration is read"):
        acc.init_endpoints_sync(m, {"ipfs": {"offline": False}})


def test_process_async_asyncio_and_anyio(acc, models):
    m = str(models / "mlp_test")
    x = load_npy_dir(models / "mlp_test/inputs")["x"]
    want = acc.process(m, {"x": x})["y"]

    async def many():
        return await asyncio.gather(*[acc.process_async(m, {"x": x}) for _ in range(4)])
    for out in asyncio.run(many()):
        np.testing.assert_array_equal(out["y"], want)

    async def with_anyio():
        return await acc.process_async(model=m, input_data={"x": x})
    np.testing.assert_array_equal(anyio.run(with_anyio)["y"], want)


def test_infer_and_run_model_bert(acc, models):
    m = str(models / "bert_test")
    ref_in = load_npy_dir(models / "bert_test/inputs")
    ref_out = load_npy_dir(models / "bert_test/outputs")
    out = acc.infer(m, ref_in)
    for name, want in ref_out.items():
        assert rel_l2(out[name], want) < 1e-4, name
    # Lists, one sequence (the batch dimension added).
    row = {k: v[0].tolist() for k, v in ref_in.items()}
    one = acc.run_model(m, row, "text_embedding", device="cpu")
    for name, want in ref_out.items():
        assert rel_l2(one[name][0], want[0]) < 1e-4, name
    # The original README's run_model: input_ids alone, the rest filled as transformers does.
    ids = [101 % 100, 54, 3, 26, 71, 2]
    alone = acc.run_model(m, {"input_ids": ids}, "text_embedding")
    explicit = acc.process(m, {"input_ids": np.array([ids], np.int64),
                               "attention_mask": np.ones((1, 6), np.int64),
                               "token_type_ids": np.zeros((1, 6), np.int64)})
    for name in explicit:
        np.testing.assert_array_equal(alone[name], explicit[name])


def test_process_text_with_an_embedding_package(acc, package, repo):
    import json
    import subprocess
    from conftest import IA_BIN
    texts = ["hello world", "IPFS Accelerate runs models by CID"]
    out = acc.process(model=str(package), input_data=texts, endpoint_type="text_embedding")
    cli = subprocess.run([str(IA_BIN), "--repo", str(repo), "embed", str(package), *texts,
                          "--json"], capture_output=True, text=True, check=True)
    want = np.array(json.loads(cli.stdout)["embeddings"], np.float32)
    assert out["embeddings"].dtype == np.float32 and out["embeddings"].shape == want.shape
    np.testing.assert_allclose(out["embeddings"], want, rtol=1e-6, atol=1e-7)
    one = acc.process(str(package), texts[0])["embeddings"]
    np.testing.assert_allclose(one[0], want[0], rtol=1e-6, atol=1e-7)


def test_endpoint_types(acc, models):
    m = str(models / "mlp_test")
    x = load_npy_dir(models / "mlp_test/inputs")["x"]
    hw = acc.hardware
    for platform in ("cuda", "rocm", "mps", "qualcomm"):
        expected = errors.Unsupported if hw[platform]["available"] else errors.Unavailable
        with pytest.raises(expected, match=platform):
            acc.process(m, {"x": x}, endpoint_type=f"{platform}:0")
    # remote: the core plans; with no peers the answer comes from here.
    out = acc.process(m, {"x": x}, endpoint_type="remote")
    assert acc.last_inference_location == "local"
    np.testing.assert_array_equal(out["y"], acc.process(m, {"x": x})["y"])


def test_detect_hardware_shape():
    hw = ipfs_accelerate_py.detect_hardware()
    assert list(hw) == ["cpu", "cuda", "rocm", "mps", "openvino", "qualcomm", "webnn", "webgpu"]
    assert hw["cpu"]["available"] is True and hw["cpu"]["cores"] >= 1
    for name, info in hw.items():
        assert isinstance(info["available"], bool)
        if not info["available"]:
            assert info["reason"], name
    assert get_instance().detect_hardware()["cpu"]["cores"] == hw["cpu"]["cores"]


def test_get_instance_capabilities(models):
    inst = get_instance()
    assert inst is get_instance()
    caps = inst.get_capabilities(detail=True)
    assert caps["hardware"]["cpu"]["available"] and "cpu" in caps["platforms"]
    assert caps["ipfs"]["store_to_ipfs"] and caps["ipfs"]["offline"] is True
    assert caps["config"]["ipfs.offline"]["source"] == "IPFS_ACCELERATE_IPFS_OFFLINE"
    brief = inst.get_capabilities()
    assert brief["hardware"]["cpu"] is True and isinstance(brief["models"], list)


def test_resources_sections_configure(repo):
    acc = Accelerator({"repo": str(repo), "ipfs": {"offline": True, "timeout": 5,
                                                   "routers": ["http://127.0.0.1:9"]},
                       "performance": {"parallel_requests": 2},
                       "hardware": {"prefer_cuda": False}, "logging": {"level": "warning"}},
                      {"note": "kept"})
    config = acc.get_capabilities(detail=True)["config"]
    assert config["ipfs.timeout"]["value"] == 5
    assert config["performance.parallel_requests"]["value"] == 2
    assert config["ipfs.routers"]["value"] == ["http://127.0.0.1:9"]
    assert acc.metadata == {"note": "kept"}
    with pytest.raises(errors.InvalidInput, match="nosuch"):
        Accelerator({"repo": str(repo), "ipfs": {"nosuch": 1}})
    with pytest.raises(ValueError, match="parallel_requests"):
        Accelerator({"repo": str(repo), "performance": {"parallel_requests": "many"}})


def test_bench_and_plan(acc, models):
    run = acc.bench(str(models / "mlp_test"), max_time_s=0.2, min_samples=5,
                    min_time_s=0.05)
    text = repr(run)
    assert "mlp_test" in text and "median" in text
    # The plan comes from the core's performance model: the CPU is the one platform here with a
    # backend, so a plan among the available platforms runs there.
    plan = acc.plan(str(models / "mlp_test"), latency_budget_ms=1000, batches=[1, 4])
    assert plan["feasible"], plan["why"]
    assert plan["plan"]["platform"] == "cpu"
    assert plan["plan"]["batch"] in (1, 4)
    assert plan["plan"]["prediction"]["latency_s"] > 0
    lo, hi = plan["plan"]["prediction"]["latency_interval_s"]
    assert lo <= plan["plan"]["prediction"]["latency_s"] <= hi
    impossible = acc.plan(str(models / "mlp_test"), latency_budget_ms=1e-9)
    assert not impossible["feasible"] and "latency" in impossible["why"]
    with pytest.raises(errors.InvalidInput, match="unknown constraint"):
        acc.plan(str(models / "mlp_test"), budget=3)
    with pytest.raises(errors.InvalidInput, match="latency_budget_ms"):
        acc.plan(str(models / "mlp_test"), latency_budget_ms="fast")
