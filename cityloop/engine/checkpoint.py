"""A byte format for engine state: a JSON header followed by raw, little-endian array buffers.

Deterministic (same state → same bytes), self-describing (names, dtypes, shapes) and free of
pickle, so a checkpoint from an untrusted store cannot execute code.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

MAGIC = b"CLENGINE1\n"


def pack(meta: dict[str, Any], arrays: dict[str, NDArray[Any]]) -> bytes:
    entries = []
    buffers = []
    offset = 0
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        entries.append(
            {
                "name": name,
                "dtype": array.dtype.str.lstrip("<>|="),
                "shape": list(array.shape),
                "offset": offset,
                "size": len(data),
            }
        )
        buffers.append(data)
        offset += len(data)
    header = orjson.dumps({"meta": meta, "arrays": entries}, option=orjson.OPT_SORT_KEYS)
    return MAGIC + struct.pack("<Q", len(header)) + header + b"".join(buffers)


def unpack(blob: bytes) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
    if not blob.startswith(MAGIC):
        raise ValueError("not an engine checkpoint")
    start = len(MAGIC)
    (length,) = struct.unpack_from("<Q", blob, start)
    start += 8
    header = orjson.loads(blob[start : start + length])
    body = memoryview(blob)[start + length :]
    arrays: dict[str, NDArray[Any]] = {}
    for entry in header["arrays"]:
        dtype = (
            np.dtype("<" + entry["dtype"])
            if entry["dtype"][0] in "fiu"
            else np.dtype(entry["dtype"])
        )
        chunk = body[entry["offset"] : entry["offset"] + entry["size"]]
        arrays[entry["name"]] = (
            np.frombuffer(chunk, dtype=dtype)
            .reshape(entry["shape"])
            .astype(dtype.newbyteorder("="))
        )
    meta: dict[str, Any] = header["meta"]
    return meta, arrays
