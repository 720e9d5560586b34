"""A small Hadoop SequenceFile (version 6) writer for tests, written from the format description.

Layout: 'SEQ' + version byte 6; key and value class names as Hadoop Text (vint length + UTF-8);
compressed and block-compressed flags (one byte each); the codec class name when compressed; metadata
as an int32 count of Text key/value pairs; a 16-byte sync marker. Records: int32 record length,
int32 key length, key bytes, value bytes (the value compressed alone when record-compressed); a sync
escape (int32 -1 + the sync marker) is written before a record once ~2000 bytes passed since the last.
Block-compressed: every block is a sync escape, vint record count, then four (vint size + compressed
bytes) buffers: key lengths (vints), keys, value lengths (vints), values.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib

TEXT = "org.apache.hadoop.io.Text"
BYTES = "org.apache.hadoop.io.BytesWritable"
DEFAULT_CODEC = "org.apache.hadoop.io.compress.DefaultCodec"
GZIP_CODEC = "org.apache.hadoop.io.compress.GzipCodec"
SYNC_INTERVAL = 2000


def vint(v: int) -> bytes:
    """Hadoop WritableUtils.writeVLong."""
    if -112 <= v <= 127:
        return struct.pack(">b", v)
    length = -112
    if v < 0:
        v = ~v
        length = -120
    tmp = v
    while tmp:
        tmp >>= 8
        length -= 1
    n = -(length + 120) if length < -120 else -(length + 112)
    return struct.pack(">b", length) + v.to_bytes(n, "big")


def text(s: str | bytes) -> bytes:
    raw = s.encode() if isinstance(s, str) else s
    return vint(len(raw)) + raw


def serialize(value: bytes, value_class: str) -> bytes:
    return text(value) if value_class == TEXT else struct.pack(">i", len(value)) + value


def compress(data: bytes, codec: str) -> bytes:
    return gzip.compress(data) if codec == GZIP_CODEC else zlib.compress(data)


def write_seqfile(
    path: str | os.PathLike[str],
    values: list[bytes],
    *,
    value_class: str = TEXT,
    key_class: str = BYTES,
    codec: str | None = None,
    block: bool = False,
    block_records: int = 100,
    metadata: dict[str, str] | None = None,
    sync: bytes = bytes(range(16)),
) -> None:
    out = bytearray(b"SEQ\x06")
    out += text(key_class) + text(value_class)
    out += bytes([1 if codec else 0, 1 if block else 0])
    if codec:
        out += text(codec)
    meta = metadata or {}
    out += struct.pack(">i", len(meta))
    for mk, mv in meta.items():
        out += text(mk) + text(mv)
    out += sync
    key = struct.pack(">i", 0)  # an empty BytesWritable, as Hive writes
    if block:
        assert codec, "block compression needs a codec"
        for i in range(0, len(values), block_records):
            chunk = values[i : i + block_records]
            sers = [serialize(v, value_class) for v in chunk]
            out += struct.pack(">i", -1) + sync + vint(len(chunk))
            for buf in (b"".join(vint(len(key)) for _ in chunk), key * len(chunk),
                        b"".join(vint(len(s)) for s in sers), b"".join(sers)):
                c = compress(buf, codec)
                out += vint(len(c)) + c
    else:
        last_sync = len(out)
        for v in values:
            if len(out) - last_sync >= SYNC_INTERVAL:
                out += struct.pack(">i", -1) + sync
                last_sync = len(out)
            ser = serialize(v, value_class)
            if codec:
                ser = compress(ser, codec)
            out += struct.pack(">ii", len(key) + len(ser), len(key)) + key + ser
    with open(path, "wb") as f:
        f.write(out)
