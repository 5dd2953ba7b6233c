"""ipfs_accelerate_py: hardware-accelerated inference on models that travel by content address.

The original project's API, with real behaviour, over the C++ core of IPFS Accelerate (the same
functions the ``ipfs-accelerate`` command calls)::

    from ipfs_accelerate_py import ipfs_accelerate_py, get_instance
    acc = get_instance()
    acc.get_capabilities(detail=True)
    cid = acc.store_to_ipfs(b"hello")           # the CID `ipfs-accelerate add` gives
    acc.query_ipfs(cid)                         # b"hello", every block verified
    acc.process(model="./mlp_test", input_data={"x": array})

Errors are the exceptions of :mod:`ipfs_accelerate_py.errors`.
"""

import os as _os

# The engine's OpenMP team (oneDNN, libgomp) must wait passively, as the ipfs-accelerate program
# makes it: a spinning team would take the cores of this process's other threads. Set before the
# extension loads libgomp, unless the user chose otherwise.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from . import errors  # noqa: E402  (the extension translates statuses into these)
from ._core import git_commit as _git_commit, version as __version__  # noqa: E402
from ._accelerator import detect_hardware, get_instance, ipfs_accelerate_py  # noqa: E402
from .errors import (  # noqa: E402
    Busy,
    Cancelled,
    Corruption,
    DeadlineExceeded,
    InternalError,
    InvalidInput,
    IoError,
    IpfsAccelerateError,
    NotFound,
    ResourceExhausted,
    Unavailable,
    Unsupported,
)

__all__ = ["ipfs_accelerate_py", "get_instance", "detect_hardware", "errors"] + [
    name for name in errors.__all__ if name != "error_class"
]
