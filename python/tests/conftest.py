"""Shared fixtures: the test models (tools/gen_models), an instance on a fresh repository, the
ipfs-accelerate binary and the IPFS reference importer. Nothing touches ~/.ipfs_accelerate and
nothing leaves 127.0.0.1."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("IA_SOURCE_DIR", pathlib.Path(__file__).parents[2]))
BUILD_DIR = pathlib.Path(os.environ.get("IA_BUILD_DIR", SOURCE_DIR / "build"))
IA_BIN = pathlib.Path(os.environ.get("IA_BIN", BUILD_DIR / "ipfs-accelerate"))


@pytest.fixture(scope="session", autouse=True)
def _no_home_repo(tmp_path_factory):
    # get_instance() and any instance without resources["repo"] use this repository.
    os.environ["IPFS_ACCELERATE_PATH"] = str(tmp_path_factory.mktemp("default_repo"))
    os.environ["IPFS_ACCELERATE_IPFS_OFFLINE"] = "true"


@pytest.fixture(scope="session")
def models():
    """Directory holding mlp_test and bert_test (ONNX, inputs, PyTorch reference outputs)."""
    out = BUILD_DIR / "python" / "models"
    done = subprocess.run(
        ["/usr/bin/python3", str(SOURCE_DIR / "tools/gen_models/gen_models.py"), "--out", str(out),
         "--size", "test", "--only", "mlp,bert"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="session")
def package():
    """An embedding package (tools/gen_models/gen_packages.py bert-embed: a BERT sentence encoder
    with random weights and all-MiniLM-L6-v2's tokenizer)."""
    out = BUILD_DIR / "python" / "packages"
    done = subprocess.run(
        ["/usr/bin/python3", str(SOURCE_DIR / "tools/gen_models/gen_packages.py"), "build", "--out",
         str(out), "--only", "bert-embed", "--tokenizer",
         "bert-embed=" + str(SOURCE_DIR / "assets/tokenizers/all-MiniLM-L6-v2/tokenizer.json")],
        capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return out / "bert-embed"


@pytest.fixture
def repo(tmp_path):
    return tmp_path / "repo"


@pytest.fixture
def acc(repo):
    from ipfs_accelerate_py import ipfs_accelerate_py
    return ipfs_accelerate_py({"repo": str(repo), "ipfs": {"offline": True}})


@pytest.fixture
def ia_add(repo):
    """`ipfs-accelerate add -Q FILE` into the instance's repository: the CID it prints."""
    def add(path):
        done = subprocess.run([str(IA_BIN), "--repo", str(repo), "add", "-Q", str(path)],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()
    return add


@pytest.fixture(scope="session")
def ref_add(tmp_path_factory):
    """The IPFS reference importer (ipfs-unixfs-importer, tests/interop/ref_add.mjs): a file's CID
    as `ipfs add --cid-version=1` computes it."""
    node_modules = SOURCE_DIR / ".deps/npm/node_modules"
    if shutil.which("node") is None or not (node_modules / "ipfs-unixfs-importer").is_dir():
        pytest.fail("the npm reference importer is missing: run scripts/setup")
    # ESM imports ignore NODE_PATH: the script sits beside a node_modules link of its own.
    where = tmp_path_factory.mktemp("ref_add")
    shutil.copy(SOURCE_DIR / "tests/interop/ref_add.mjs", where / "ref_add.mjs")
    (where / "node_modules").symlink_to(node_modules)

    def add(path):
        done = subprocess.run(["node", str(where / "ref_add.mjs"), "--profile", "unixfs-v1-2025",
                               str(path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()
    return add


def load_npy_dir(path):
    import numpy as np
    return {p.stem: np.load(p) for p in sorted(pathlib.Path(path).glob("*.npy"))}


sys.path.insert(0, str(pathlib.Path(__file__).parent))
