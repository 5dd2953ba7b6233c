"""IPFS methods that work: CIDs as `add` and the reference importer give them, verified reads,
providers from a delegated router, peers that answer or not."""

import http.server
import json
import os
import pathlib
import threading

import pytest

from ipfs_accelerate_py import errors

SIZES = [0, 1, 1000, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 12345]


@pytest.mark.parametrize("size", SIZES)
def test_store_to_ipfs_cid_matches_add_and_reference(acc, ia_add, ref_add, tmp_path, size):
    data = os.urandom(size)
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    cid = acc.store_to_ipfs(data)
    assert cid == ia_add(path) == ref_add(path)
    assert acc.query_ipfs(cid) == data


def test_store_takes_buffers(acc):
    import numpy as np
    data = b"0123456789" * 100
    cid = acc.store_to_ipfs(data)
    assert acc.store_to_ipfs(bytearray(data)) == cid
    assert acc.store_to_ipfs(memoryview(data)) == cid
    assert acc.store_to_ipfs(np.frombuffer(data, dtype=np.uint8)) == cid
    with pytest.raises(errors.InvalidInput, match="takes bytes"):
        acc.store_to_ipfs("text is not bytes")


def test_query_ipfs_by_path_and_alias(acc, repo, tmp_path, ia_add):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_bytes(b"alpha")
    import subprocess
    from conftest import IA_BIN
    root = subprocess.run([str(IA_BIN), "--repo", str(repo), "add", "-Q", "-r", "--alias", "docs",
                           str(tmp_path / "d")], capture_output=True, text=True, check=True)
    cid = root.stdout.strip()
    assert acc.query_ipfs(f"{cid}/a.txt") == b"alpha"
    assert acc.query_ipfs(f"/ipfs/{cid}/a.txt") == b"alpha"
    assert acc.query_ipfs("docs/a.txt") == b"alpha"


def test_query_ipfs_refuses_corrupted_blocks(acc, repo):
    data = os.urandom(3 * (1 << 20))
    cid = acc.store_to_ipfs(data)
    # Damage every stored block file a little: no byte of a corrupted block may come back.
    blocks = [p for p in (repo / "blocks").rglob("*") if p.is_file()]
    assert blocks
    for p in blocks:
        p.chmod(0o644)
        raw = bytearray(p.read_bytes())
        raw[len(raw) // 2] ^= 1
        p.write_bytes(bytes(raw))
    with pytest.raises(errors.Corruption):
        acc.query_ipfs(cid)


def test_query_ipfs_missing_and_invalid(acc):
    missing = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    with pytest.raises(errors.NotFound, match="offline|fetch"):
        acc.query_ipfs(missing)
    with pytest.raises(errors.IpfsAccelerateError):
        acc.query_ipfs("not-a-cid!")


class _Router(http.server.BaseHTTPRequestHandler):
    """A delegated router (Routing V1) on 127.0.0.1 that knows one provider of every CID."""

    def do_GET(self):  # noqa: N802
        if not self.path.startswith("/routing/v1/providers/"):
            self.send_error(404)
            return
        body = json.dumps({"Providers": [{
            "Schema": "peer", "ID": "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq",
            "Addrs": [f"/ip4/127.0.0.1/tcp/{self.server.peer_port}/http"],
            "Protocols": ["transport-ipfs-gateway-http"]}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def router_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Router)
    server.peer_port = 9  # nothing listens there
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_find_providers_and_connect(repo, router_url):
    from ipfs_accelerate_py import ipfs_accelerate_py
    acc = ipfs_accelerate_py({"repo": str(repo),
                              "ipfs": {"offline": True, "routers": [router_url], "timeout": 5},
                              "remote": {"timeout": 2}})
    cid = acc.store_to_ipfs(b"provided")
    peers = acc.find_providers(cid)
    assert peers == ["12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"]
    # Its address is a closed port: it does not answer, and it is no peer.
    assert acc.connect_to_provider(peers[0]) is False
    assert acc.connect_to_provider("http://127.0.0.1:9") is False
    with pytest.raises(errors.NotFound, match="find_providers first"):
        acc.connect_to_provider("12D3KooWNotKnown")
    with pytest.raises(errors.InvalidInput):
        acc.connect_to_provider("http://")
    with pytest.raises(errors.InvalidInput, match="neither a CID nor an alias"):
        acc.find_providers("no-such-alias")


def test_find_providers_needs_a_router(acc):
    cid = acc.store_to_ipfs(b"x")
    with pytest.raises(errors.Unavailable, match="ipfs.routers"):
        acc.find_providers(cid)


def test_accelerate_inference_local_and_peer(acc, models, tmp_path):
    from conftest import load_npy_dir
    import numpy as np
    m = str(models / "mlp_test")
    x = load_npy_dir(models / "mlp_test/inputs")["x"]
    want = acc.process(m, {"x": x})["y"]
    out = acc.accelerate_inference(m, {"x": x})
    np.testing.assert_array_equal(out["y"], want)
    assert acc.last_inference_location == "local"
    out = acc.accelerate_inference(m, {"x": x}, use_ipfs=False)
    np.testing.assert_array_equal(out["y"], want)


@pytest.fixture
def peer(models, tmp_path):
    """`ipfs-accelerate serve` on 127.0.0.1 with the MLP: (its URL, the model's root CID)."""
    import re
    import selectors
    import subprocess
    import time
    from conftest import IA_BIN
    repo = tmp_path / "peer-repo"
    root = subprocess.run([str(IA_BIN), "--repo", str(repo), "add", "-Q", "-r",
                           str(models / "mlp_test")], capture_output=True, text=True, check=True)
    root = root.stdout.strip()
    proc = subprocess.Popen([str(IA_BIN), "--repo", str(repo), "--set", "ipfs.local_node=",
                             "serve", "--listen", "127.0.0.1:0", "-m", f"mlp={root}"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    url, deadline, seen = None, time.monotonic() + 60, ""
    while url is None and time.monotonic() < deadline and proc.poll() is None:
        if sel.select(timeout=0.5):
            line = proc.stdout.readline()
            seen += line
            found = re.search(r"https?://[0-9.]+:[0-9]+", line) if "listening on" in line else None
            url = found.group(0) if found else None
    try:
        assert url, f"serve did not start: {seen}"
        yield url, root
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_accelerate_inference_on_a_peer(models, tmp_path, peer):
    import subprocess
    from conftest import IA_BIN, load_npy_dir
    import numpy as np
    url, root = peer
    repo = tmp_path / "repo"
    subprocess.run([str(IA_BIN), "--repo", str(repo), "add", "-Q", "-r", str(models / "mlp_test")],
                   capture_output=True, check=True)
    from ipfs_accelerate_py import ipfs_accelerate_py
    acc = ipfs_accelerate_py({"repo": str(repo), "ipfs": {"offline": True},
                              "remote": {"mode": url, "timeout": 10}})
    assert acc.connect_to_provider(url) is True
    x = load_npy_dir(models / "mlp_test/inputs")["x"]
    out = acc.accelerate_inference(root, {"x": x})
    assert acc.last_inference_location == url
    np.testing.assert_allclose(out["y"], acc.accelerate_inference(root, {"x": x}, use_ipfs=False)["y"],
                               rtol=1e-6, atol=1e-6)
    assert acc.last_inference_location == "local"
    # infer(endpoint=URL): connects, then runs where the core plans (the peer, here).
    out = acc.infer(root, {"x": x}, endpoint=url)
    assert acc.last_inference_location == url
    with pytest.raises(errors.Unavailable, match="does not answer"):
        acc.infer(root, {"x": x}, endpoint="http://127.0.0.1:9")
