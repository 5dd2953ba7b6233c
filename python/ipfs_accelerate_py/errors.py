"""The exceptions of ipfs_accelerate_py: one per kind of failure the core reports.

Every error of the core (a ``Status`` in C++) arrives as the subclass of
:class:`IpfsAccelerateError` named for its code, carrying the core's message, which says
what failed, on which input, and what to do. Each also derives from the built-in exception
a caller would expect (``InvalidInput`` is a ``ValueError``, ``NotFound`` a ``LookupError``,
``Unsupported`` a ``NotImplementedError``, ``Unavailable`` a ``ConnectionError``, ...), so
code written against the built-ins keeps working.
"""

from __future__ import annotations

__all__ = [
    "IpfsAccelerateError",
    "InvalidInput",
    "NotFound",
    "Corruption",
    "IoError",
    "Unsupported",
    "Busy",
    "ResourceExhausted",
    "Cancelled",
    "DeadlineExceeded",
    "Unavailable",
    "InternalError",
    "error_class",
]


class IpfsAccelerateError(Exception):
    """Base of every error the core reports; ``code`` names the kind."""

    code = "internal"


class InvalidInput(IpfsAccelerateError, ValueError):
    """The caller's input is malformed: a wrong dtype or shape, a bad CID, an unknown key."""

    code = "invalid_argument"


class NotFound(IpfsAccelerateError, LookupError):
    """A model, block, file, pin or alias that does not exist (here or, online, anywhere)."""

    code = "not_found"


class Corruption(IpfsAccelerateError):
    """Bytes that do not match their hash or their format (a corrupted block, a bad model)."""

    code = "corruption"


class IoError(IpfsAccelerateError, OSError):
    """The operating system refused a read, write or sync."""

    code = "io_error"


class Unsupported(IpfsAccelerateError, NotImplementedError):
    """Valid input that the core cannot handle yet; the message names the missing part."""

    code = "unsupported"


class Busy(IpfsAccelerateError):
    """Another process or request holds what this one needs (a lock, a running model)."""

    code = "busy"


class ResourceExhausted(IpfsAccelerateError):
    """A memory budget, disk space, queue or size limit would be exceeded."""

    code = "resource_exhausted"


class Cancelled(IpfsAccelerateError):
    """Stopped on request."""

    code = "cancelled"


class DeadlineExceeded(IpfsAccelerateError, TimeoutError):
    """Stopped because its time ran out."""

    code = "deadline_exceeded"


class Unavailable(IpfsAccelerateError, ConnectionError):
    """A remote source, router or peer cannot be reached, or none is configured."""

    code = "unavailable"


class InternalError(IpfsAccelerateError):
    """A bug in the core: please report it with the message."""

    code = "internal"


_BY_CODE = {
    cls.code: cls
    for cls in (
        InvalidInput,
        NotFound,
        Corruption,
        IoError,
        Unsupported,
        Busy,
        ResourceExhausted,
        Cancelled,
        DeadlineExceeded,
        Unavailable,
        InternalError,
    )
}


def error_class(code: str) -> type:
    """The exception class for the core's status code ``code`` (e.g. ``"not_found"``)."""
    return _BY_CODE.get(code, InternalError)
