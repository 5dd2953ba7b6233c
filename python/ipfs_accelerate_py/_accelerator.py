"""The ``ipfs_accelerate_py`` class: the original project's API over the C++ core.

Every method is one call into the core (``_core.Node``: the router, the store, the remote
planner, hardware detection, the benchmark runner), as the ``ipfs-accelerate`` command makes
it. What is here is only Python's side of it: argument shapes, numpy conversions, coroutines.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import threading
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

import numpy as np

from . import _core
from .errors import InvalidInput, NotFound, Unavailable, Unsupported

__all__ = ["ipfs_accelerate_py", "get_instance", "detect_hardware"]

#: The 8 platforms the core detects, in its order.
PLATFORMS = ("cpu", "cuda", "rocm", "mps", "openvino", "qualcomm", "webnn", "webgpu")

#: Configuration sections of the seed's config.json (and ours) that ``resources`` may carry.
_NOT_CONFIG = ("repo", "models", "metadata", "threads")

ArrayLike = Any
Outputs = Dict[str, np.ndarray]


def _flatten(prefix: str, value: Any, out: List[str]) -> None:
    """KEY=VALUE overrides of the layered configuration from a nested dict."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
        return
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (list, tuple)):
        text = ",".join(str(v) for v in value)
    elif value is None:
        text = ""
    else:
        text = str(value)
    out.append(f"{prefix}={text}")


def _is_text(data: Any) -> bool:
    """A text or a non-empty list of texts (what an embedding package takes)."""
    return isinstance(data, str) or (isinstance(data, (list, tuple)) and len(data) > 0 and
                                     all(isinstance(t, str) for t in data))


async def _off_loop(fn, *args):
    """Runs the blocking core call ``fn(*args)`` on a worker thread (the GIL is released inside
    the core) and awaits it: under asyncio, and under anyio's backends when anyio is there."""
    call = functools.partial(fn, *args)
    try:
        import anyio
        import sniffio

        sniffio.current_async_library()
    except Exception:  # no anyio, or not inside an event loop anyio knows
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, call)
    return await anyio.to_thread.run_sync(call)


class ipfs_accelerate_py:  # noqa: N801  (the original project's name)
    """One node of IPFS Accelerate: its configuration, repository, models and peers.

    ``resources`` takes the seed's configuration sections (``ipfs``, ``hardware``,
    ``performance``, ``logging``, and ours: ``remote``, ``engine``, ``bench``, ``peers``...) as
    nested dicts over the layered configuration (``./ipfs_accelerate.json`` <
    ``REPO/config.json`` < ``IPFS_ACCELERATE_*``); ``resources["repo"]`` names the repository
    (default ``$IPFS_ACCELERATE_PATH``, else ``~/.ipfs_accelerate``),
    ``resources["threads"]`` the cores inference may use (default: all) and
    ``resources["models"]`` models to register at once. ``metadata`` is kept as given.
    """

    def __init__(self, resources: Optional[Mapping[str, Any]] = None,
                 metadata: Optional[Mapping[str, Any]] = None) -> None:
        resources = dict(resources or {})
        overrides: List[str] = []
        for key, value in resources.items():
            if key not in _NOT_CONFIG:
                _flatten(key, value, overrides)
        repo = resources.get("repo") or ""
        try:
            self._node = _core.Node(str(repo), overrides, int(resources.get("threads") or 0))
        except InvalidInput as e:
            raise InvalidInput(f"resources (each key read as --set KEY=VALUE): {e}") from None
        self.resources: Dict[str, Any] = resources
        self.metadata: Dict[str, Any] = dict(metadata or {})
        #: Endpoints by kind, as the original kept them: model -> endpoint types.
        self.endpoints: Dict[str, Dict[str, List[str]]] = {
            "local_endpoints": {},
            "libp2p_endpoints": {},
        }
        #: Where the last accelerate_inference ran: "local" or the peer's URL.
        self.last_inference_location: Optional[str] = None
        self._described: Dict[str, dict] = {}
        self._providers: Dict[str, dict] = {}
        self._hardware: Optional[dict] = None
        self._lock = threading.Lock()
        if resources.get("models"):
            self.init_endpoints_sync(resources["models"])

    # ---- models -------------------------------------------------------------------------

    def init_endpoints_sync(self, models: Union[str, Iterable[str]],
                            resources: Optional[Mapping[str, Any]] = None) -> Dict[str, dict]:
        """Registers and loads each model (alias, CID or path; fetched when missing unless
        offline); returns each one's CID, inputs and outputs."""
        if resources and any(k not in _NOT_CONFIG for k in resources):
            raise Unsupported("init_endpoints: the configuration is read when the instance is "
                              "made; pass it as ipfs_accelerate_py(resources=...)")
        if isinstance(models, str):
            models = [models]
        models = list(models) + list((resources or {}).get("models", []))
        out = {}
        for model in models:
            self._node.ensure(model, True)
            info = self._describe(model)
            self.endpoints["local_endpoints"][model] = ["cpu"]
            out[model] = info
        return out

    async def init_endpoints(self, models: Union[str, Iterable[str]],
                             resources: Optional[Mapping[str, Any]] = None) -> Dict[str, dict]:
        """Coroutine form of :meth:`init_endpoints_sync`."""
        return await _off_loop(self.init_endpoints_sync, models, resources)

    def _describe(self, model: str) -> dict:
        info = self._described.get(model)
        if info is None:
            info = self._node.describe(model)
            self._described[model] = info
        return info

    def describe(self, model: str) -> dict:
        """The model's CID, inputs and outputs (name, dtype, shape with -1 for dynamic)."""
        return dict(self._describe(model))

    def list_models(self) -> List[dict]:
        """Every model registered with this instance."""
        return self._node.list()

    def _inputs(self, model: str, data: Any) -> Dict[str, np.ndarray]:
        """{name: numpy array} from what the caller gave: arrays pass as they are (no copy);
        lists and scalars take the dtype the model declares, and a batch dimension when they
        have one dimension fewer than the model's input; a lone value goes to a lone input."""
        if type(data) is dict and all(type(v) is np.ndarray for v in data.values()):
            return data  # the fast path: nothing to look up
        declared = {t["name"]: t for t in self._describe(model)["inputs"]}
        if not isinstance(data, Mapping):
            if len(declared) != 1:
                raise InvalidInput(f"model {model!r} takes {len(declared)} inputs "
                                   f"({', '.join(declared)}): pass a dict of them")
            data = {next(iter(declared)): data}
        out = {}
        for name, value in data.items():
            if type(value) is np.ndarray:
                out[name] = value
                continue
            spec = declared.get(name)
            try:
                dtype = np.dtype(spec["dtype"]) if spec else None
            except TypeError:
                dtype = None
            try:
                array = np.asarray(value, dtype=dtype)
            except (TypeError, ValueError) as e:
                raise InvalidInput(f"input {name!r} of model {model!r}: {e}") from None
            if spec and array.ndim + 1 == len(spec["shape"]):
                array = array[np.newaxis]
            out[name] = array
        return out

    def _runs_here(self, endpoint_type: Optional[str]) -> bool:
        """True for this node's engine, False for the remote planner; an error for a platform
        the engine cannot use."""
        if endpoint_type is None:
            return True
        kind = str(endpoint_type).lower()
        if kind in ("remote", "auto", "libp2p", "ipfs"):
            return False
        platform = kind.split(":", 1)[1] if kind.startswith("local:") else kind
        platform = platform.split(":", 1)[0]  # "cuda:0"
        if platform in PLATFORMS and platform != "cpu":
            info = self.hardware.get(platform, {})
            if not info.get("available"):
                raise Unavailable(f"endpoint {endpoint_type!r}: {platform} is not available "
                                  f"here: {info.get('reason', 'not detected')}")
            raise Unsupported(f"endpoint {endpoint_type!r}: {platform} is detected, but the "
                              "engine has no backend for it yet; it runs on cpu")
        return True  # "cpu", "local", and task names such as "text_embedding"

    def process(self, model: str, input_data: Any, endpoint_type: Optional[str] = None) -> Outputs:
        """Runs ``model`` (alias, CID or path) on ``input_data`` ({input name: array}, or one
        array for a model with one input) and returns {output name: numpy array}. Text (a string
        or a list of them) goes to a model package's tokenizer and pipeline: an embedding
        package returns {"embeddings": float32 array [texts, dim]}, as ``ipfs-accelerate
        embed`` computes them.

        ``endpoint_type``: None, "cpu" or a task name runs here; "remote"/"auto" lets the core
        choose among this node and its peers (see :meth:`accelerate_inference`)."""
        if _is_text(input_data):
            return self._embed(model, input_data, endpoint_type)
        inputs = self._inputs(model, input_data)
        if self._runs_here(endpoint_type):
            return self._node.infer(model, inputs)
        outputs, self.last_inference_location = self._node.infer_anywhere(model, inputs)
        return outputs

    def _embed(self, model: str, text: Union[str, Sequence[str]],
               endpoint_type: Optional[str]) -> Outputs:
        if not self._runs_here(endpoint_type):
            raise Unsupported("text input runs on this node only (remote inference takes tensors)")
        texts = [text] if isinstance(text, str) else list(text)
        vectors, _tokens = self._node.embed(model, texts)
        return {"embeddings": vectors}

    async def process_async(self, model: str, input_data: Any,
                            endpoint_type: Optional[str] = None) -> Outputs:
        """Coroutine form of :meth:`process` (asyncio or anyio)."""
        return await _off_loop(self.process, model, input_data, endpoint_type)

    def infer(self, model: str, data: Any, endpoint: Optional[str] = None,
              endpoint_type: Optional[str] = None) -> Outputs:
        """:meth:`process`; with ``endpoint`` (a peer's URL), connects to it and lets the core
        choose between it and this node."""
        if endpoint is not None:
            if not self.connect_to_provider(endpoint):
                raise Unavailable(f"endpoint {endpoint!r} does not answer (GET /ia/v1/node)")
            return self.accelerate_inference(model, data)
        return self.process(model, data, endpoint_type)

    def run_model(self, model_name: str, inputs: Mapping[str, Any], model_type: Optional[str] = None,
                  device: Optional[str] = None) -> Outputs:
        """Runs ``model_name`` on ``inputs`` ({name: array or list}); ``device`` as
        ``endpoint_type`` of :meth:`process`; ``model_type`` (a task name) is informative."""
        if not isinstance(inputs, Mapping):
            raise InvalidInput("run_model takes its inputs as a dict: {'input_ids': [...]}")
        return self.process(model_name, dict(inputs), device)

    # ---- hardware and capabilities ------------------------------------------------------

    def detect_hardware(self) -> Dict[str, dict]:
        """The 8 platforms: {"cpu": {"available": True, "cores": N, ...}, "cuda": {"available":
        False, "reason": "..."}, ...}, as ``ipfs-accelerate hw --json`` reports them."""
        found = self._node.hardware()
        hw = {p: found[p] for p in PLATFORMS if p in found}  # the core's order, not sorted
        cpu = hw.get("cpu", {})
        cpu.setdefault("cores", cpu.get("usable_cores", cpu.get("logical_cores")))
        self._hardware = hw
        return hw

    @property
    def hardware(self) -> Dict[str, dict]:
        """This instance's view of the hardware (detected once; see :meth:`detect_hardware`)."""
        if self._hardware is None:
            self.detect_hardware()
        return self._hardware  # type: ignore[return-value]

    def get_capabilities(self, detail: bool = False) -> Dict[str, Any]:
        """What this node can do: platforms, models, IPFS functions; with ``detail``, every
        platform's capabilities, every model's inputs and outputs and the configuration."""
        hw = self.hardware
        config = self._node.config()
        value = lambda key: config[key]["value"]  # noqa: E731
        caps: Dict[str, Any] = {
            "version": _core.version,
            "platforms": [p for p in PLATFORMS if hw.get(p, {}).get("available")],
            "hardware": {p: bool(hw.get(p, {}).get("available")) for p in PLATFORMS},
            "models": [m["name"] for m in self._node.list()],
            "endpoint_types": ["cpu", "remote"],
            "ipfs": {
                "repo": self._node.repo,
                "store_to_ipfs": True,
                "query_ipfs": True,
                "offline": value("ipfs.offline"),
                "local_node": value("ipfs.local_node"),
                "gateways": value("ipfs.gateway"),
                "routers": value("ipfs.routers"),
                "find_providers": bool(value("ipfs.routers")),
            },
        }
        if detail:
            caps["hardware"] = hw
            caps["models"] = self._node.list()
            caps["config"] = config
        return caps

    # ---- IPFS ---------------------------------------------------------------------------

    def store_to_ipfs(self, data: bytes) -> str:
        """Stores ``data`` as one file in the repository, pinned, and returns its CID: the CID
        ``ipfs-accelerate add`` (and ``ipfs add --cid-version=1``) gives the same bytes."""
        return self._node.store(data, True)

    def query_ipfs(self, cid: str) -> bytes:
        """The bytes of the file ``cid`` (CID[/path] or alias): from the repository, else fetched
        from the local IPFS node, gateways and routed providers (unless ``ipfs.offline``); every
        block is verified against its CID, so corrupted bytes raise :class:`Corruption`."""
        return self._node.cat(cid)

    def find_providers(self, model_or_cid: str) -> List[str]:
        """The PeerIDs that the configured delegated routers (``ipfs.routers``) name as providers
        of a CID, or of the CID an alias points at. :class:`Unavailable` when no router is
        configured or none answers."""
        answer = self._node.find_providers(model_or_cid)
        peers = []
        for record in answer["providers"]:
            self._providers[record["ID"]] = record
            peers.append(record["ID"])
        return peers

    def connect_to_provider(self, provider: str) -> bool:
        """Whether the provider answers as an IPFS Accelerate node (``GET /ia/v1/node``): a URL
        (``http://HOST:PORT``) or a PeerID from :meth:`find_providers` (tried at its HTTP
        addresses). A node that answers becomes a peer :meth:`accelerate_inference` may use."""
        if provider.startswith(("http://", "https://")):
            return self._node.connect(provider)
        record = self._providers.get(provider)
        if record is None:
            raise NotFound(f"provider {provider!r} is neither a URL nor a PeerID that "
                           "find_providers returned: call find_providers first")
        urls = record.get("Urls", [])
        if not urls:
            raise Unavailable(f"provider {provider!r} has no HTTP address "
                              f"({', '.join(record.get('Addrs') or []) or 'no addresses'})")
        return any(self._node.connect(url) for url in urls)

    def accelerate_inference(self, model: str, input_data: Any, use_ipfs: bool = True) -> Outputs:
        """Runs ``model`` where the core expects the answer soonest: a connected or configured
        peer that serves it, else this node (fetching the model by CID when missing). Without
        ``use_ipfs`` it runs here. :attr:`last_inference_location` says where it ran."""
        inputs = self._inputs(model, input_data)
        if not use_ipfs:
            self.last_inference_location = "local"
            return self._node.infer(model, inputs)
        outputs, self.last_inference_location = self._node.infer_anywhere(model, inputs)
        return outputs

    # ---- benchmarks and plans -----------------------------------------------------------

    def bench(self, model: Union[str, Sequence[str]], hardware: Sequence[str] = ("cpu",),
              batches: Sequence[int] = (1,), seqs: Sequence[int] = (128,),
              threads: Sequence[int] = (1,), max_time_s: Optional[float] = None,
              min_samples: Optional[int] = None, min_time_s: Optional[float] = None,
              db: Optional[str] = None) -> Dict[str, Any]:
        """Measures ``model`` as ``ipfs-accelerate bench`` does and returns the run with its
        results (statistics per configuration). ``db``: the results database (default: in
        memory, not kept)."""
        request: Dict[str, Any] = {
            "models": [model] if isinstance(model, str) else list(model),
            "hardware": list(hardware), "batches": list(batches), "seqs": list(seqs),
            "threads": list(threads),
        }
        for key, value in (("max_time_s", max_time_s), ("min_samples", min_samples),
                           ("min_time_s", min_time_s), ("db", db)):
            if value is not None:
                request[key] = value
        return self._node.bench(json.dumps(request))

    _PLAN_KEYS = {"latency_budget_ms": (int, float), "throughput_target": (int, float),
                  "memory_limit": (int,), "hardware": (list, tuple), "batches": (list, tuple),
                  "precisions": (list, tuple), "seq": (int,), "all_platforms": (bool,),
                  "db": (str,)}

    def plan(self, model: str, **constraints: Any) -> Dict[str, Any]:
        """The deployment plan of ``model`` from the core's performance model (as
        ``ipfs-accelerate plan --json``): ``{"feasible", "plan", "fallbacks", "why",
        "recommendations", "notes"}``. Constraints: ``latency_budget_ms``,
        ``throughput_target`` (items/s), ``memory_limit`` (bytes), ``hardware`` (platforms),
        ``batches``, ``precisions``, ``seq``, ``all_platforms``, ``db``."""
        request: Dict[str, Any] = {}
        for key, value in constraints.items():
            types = self._PLAN_KEYS.get(key)
            if types is None:
                raise InvalidInput(f"plan: unknown constraint {key!r} (known: "
                                      f"{', '.join(sorted(self._PLAN_KEYS))})")
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                raise InvalidInput(f"plan: {key} must be {' or '.join(t.__name__ for t in types)}"
                                      f", got {type(value).__name__}")
            request[key] = list(value) if isinstance(value, tuple) else value
        return self._node.plan(os.fspath(model), json.dumps(request))


_instance: Optional[ipfs_accelerate_py] = None
_instance_lock = threading.Lock()


def get_instance(resources: Optional[Mapping[str, Any]] = None,
                 metadata: Optional[Mapping[str, Any]] = None) -> ipfs_accelerate_py:
    """The process's shared instance, made on first call (with ``resources`` and ``metadata``)."""
    global _instance
    with _instance_lock:
        if _instance is None:
            _instance = ipfs_accelerate_py(resources, metadata)
        return _instance


def detect_hardware() -> Dict[str, dict]:
    """The 8 platforms as :meth:`ipfs_accelerate_py.detect_hardware` reports them."""
    return get_instance().detect_hardware()
