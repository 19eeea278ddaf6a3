"""Reads and writes safetensors files with numpy only.

Layout: 8-byte little-endian header length N, N bytes of JSON naming each
tensor's dtype, shape and [begin, end) byte range relative to the data start,
then the data. numpy has no bfloat16, so BF16 tensors are read as float32
(exactly: BF16 is the upper half of an IEEE float32).
"""
import json
import struct

import numpy as np

_NUMPY_DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
                 "F64": np.dtype("<f8"), "I64": np.dtype("<i8"),
                 "I32": np.dtype("<i4")}
STORAGE_DTYPES = ("F32", "F16", "BF16")


def float32_to_bfloat16_bits(values):
    """Rounds float32 values to the nearest bfloat16 (ties to even); uint16 bits."""
    bits = np.ascontiguousarray(values, dtype="<f4").view("<u4").astype(np.uint64)
    rounding = 0x7FFF + ((bits >> 16) & 1)
    return ((bits + rounding) >> 16).astype("<u2")


def bfloat16_bits_to_float32(bits):
    return (bits.astype("<u4") << 16).view("<f4")


def _encode(array, dtype):
    if dtype == "BF16":
        return float32_to_bfloat16_bits(array).tobytes()
    return np.ascontiguousarray(array, dtype=_NUMPY_DTYPES[dtype]).tobytes()


def write_safetensors(path, tensors, dtype="F32", metadata=None):
    """Writes `tensors` (name -> float array) converted to `dtype`, in the given order."""
    if dtype not in STORAGE_DTYPES:
        raise ValueError(f"{path}: unsupported dtype {dtype!r}")
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        blob = _encode(np.asarray(array, dtype=np.float32), dtype)
        header[name] = {"dtype": dtype, "shape": list(np.shape(array)),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(header_bytes)))
        out.write(header_bytes)
        for blob in blobs:
            out.write(blob)


def read_safetensors(path):
    """Returns (tensors, dtypes): name -> numpy array (BF16 widened to float32), name -> dtype."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for a safetensors header")
    (header_len,) = struct.unpack("<Q", raw[:8])
    if 8 + header_len > len(raw):
        raise ValueError(f"{path}: header length {header_len} exceeds the file size")
    header = json.loads(raw[8:8 + header_len].decode("utf-8"))
    data = memoryview(raw)[8 + header_len:]
    tensors, dtypes = {}, {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        if not 0 <= begin <= end <= len(data):
            raise ValueError(f"{path}: tensor {name} has data offsets outside the file")
        dtype, shape = entry["dtype"], tuple(entry["shape"])
        if dtype == "BF16":
            array = bfloat16_bits_to_float32(np.frombuffer(data[begin:end], dtype="<u2"))
        elif dtype in _NUMPY_DTYPES:
            array = np.frombuffer(data[begin:end], dtype=_NUMPY_DTYPES[dtype])
        else:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {dtype}")
        if array.size != int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"{path}: tensor {name} has {array.size} elements, shape {list(shape)}")
        tensors[name] = array.reshape(shape)
        dtypes[name] = dtype
    return tensors, dtypes
