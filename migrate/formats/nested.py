"""Nested values: structs, lists and maps, and JSON text, shared by the readers.

- ``cast_nested``: an Arrow array to a declared (possibly nested) field, leaf by leaf. Children under
  null parents are nulled first (pyarrow casts them too and fails on their filler values); a struct
  value holding a field the declared struct does not name is a mismatch, never dropped silently; a
  nested value going into a ``string`` or ``json`` column becomes its JSON text.
- ``from_json_values``: Python values from ``json.loads`` to an Arrow array, checking every value
  against the declared type and saying what is wrong (``column meta.k: expected bigint, found string``).
- ``json_text`` / ``dumps``: the JSON serialisation the readers use: compact (no spaces), keys in source
  order, non-ASCII kept; dates and timestamps as ISO text, decimals as their exact text (a JSON string),
  binary as base64 text. ``loads`` / ``dumps`` go through orjson where it gives the standard module's values.
- ``text_to_timestamp``: ISO text to timestamps as pyarrow's JSON reader reads it (zone offsets to UTC).

Errors for single values are raised as ``Mismatch`` (an ``ArrowInvalid``, so ``convert.cast_locate``
bisects to the rows at fault and quarantines them with this message).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from migrate.column_types import json_kind
from migrate.errors import UnsupportedError
from migrate.formats.types import is_json, type_text

# Field metadata: the column already holds JSON text where the declared field is `json` (do not quote again).
READY_KEY = b"migrate.json_ready"


class Mismatch(pa.ArrowInvalid):
    """A value that does not fit its declared type; the message names the column path."""


def field_text(f: pa.Field) -> str:
    return "json" if is_json(f) else type_text(f.type)


def is_nested(t: pa.DataType) -> bool:
    return pa.types.is_struct(t) or pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_map(t)


def walk(f: pa.Field) -> list[pa.Field]:
    """``f`` and every field nested in it."""
    out = [f]
    t = f.type
    if pa.types.is_struct(t):
        for sub in t:
            out += walk(sub)
    elif pa.types.is_map(t):
        out += walk(t.key_field) + walk(t.item_field)
    elif pa.types.is_list(t) or pa.types.is_large_list(t):
        out += walk(t.value_field)
    return out


def needs_python(f: pa.Field) -> bool:
    """pyarrow's JSON reader cannot produce this field (a map, or JSON text, somewhere in it)."""
    return any(is_json(g) or pa.types.is_map(g.type) for g in walk(f))


def has_struct(f: pa.Field) -> bool:
    return any(pa.types.is_struct(g.type) for g in walk(f))


# --- JSON text -------------------------------------------------------------------------------------


def _default(v: Any) -> Any:
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return str(v)  # exact: a float could round it
    if isinstance(v, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    raise TypeError(f"{type(v).__name__} is not JSON serialisable")


# The standard encoder for what orjson refuses (integers beyond 64 bits); built once: json.dumps with
# options builds a new JSONEncoder on every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default)


def dumps(v: Any) -> str:
    """Compact JSON text of ``v`` (orjson: the same text as the standard encoder, ~10x faster)."""
    try:
        return orjson.dumps(v, default=_default).decode()
    except TypeError:
        return _ENCODER.encode(v)


_LONG_NUMBER = re.compile(rb"[0-9]{20}")


def has_long_number(data: bytes) -> bool:
    """Whether ``data`` holds a run of 20 digits: an integer beyond 64 bits, which orjson reads as a float.
    Large inputs are searched by RE2 (pyarrow), several times faster than Python's ``re`` here."""
    if len(data) < 1 << 16:
        return _LONG_NUMBER.search(data) is not None
    return bool(pc.match_substring_regex(pa.array([data], pa.binary()), "[0-9]{20}")[0].as_py())


def loads(raw: bytes) -> Any:
    """``json.loads`` of UTF-8 bytes, through orjson where it gives the same values (ValueError if invalid;
    the message is the standard module's, which says where)."""
    if not has_long_number(raw):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # NaN, or invalid: the standard module decides and says why
    return json.loads(raw)


def _plain(v: Any, t: pa.DataType) -> Any:
    """A Python value of Arrow type ``t`` (from ``to_pylist``) as JSON-ready data (maps as objects)."""
    if v is None:
        return None
    if pa.types.is_map(t):
        return {str(k) if not isinstance(k, str) else k: _plain(x, t.item_type) for k, x in v}
    if pa.types.is_struct(t):
        return {f.name: _plain(v.get(f.name), f.type) for f in t}
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return [_plain(x, t.value_type) for x in v]
    return v


def json_text(arr: pa.Array, *, quote_strings: bool) -> pa.Array:
    """Every value of ``arr`` as JSON text (nulls stay null). ``quote_strings=False`` keeps string values
    as they are (a ``string`` column); True writes them as JSON strings (a ``json`` column)."""
    t = arr.type
    if (pa.types.is_string(t) or pa.types.is_large_string(t)) and not quote_strings:
        return arr.cast(pa.string())
    out = [None if v is None else dumps(_plain(v, t)) for v in arr.to_pylist()]
    return pa.array(out, pa.string())


# --- Arrow -> declared field -------------------------------------------------------------------------


def _type_error(path: str, f: pa.Field, src: pa.DataType) -> UnsupportedError:
    return UnsupportedError(f"cannot convert column {path} from {type_text(src)} to {field_text(f)}")


def cast_nested(arr: pa.Array, f: pa.Field, path: str, ready: bool = False) -> pa.Array:
    """``arr`` converted to the declared field ``f`` (see the module docstring).

    ``ready``: ``arr`` already holds JSON text where ``f`` has ``json`` fields (built by ``from_json_values``).
    Raises Mismatch (or ArrowInvalid) for values that do not fit, UnsupportedError for types that never do.
    """
    t, src = f.type, arr.type
    if is_json(f):
        return arr if ready else json_text(arr, quote_strings=True)
    if pa.types.is_string(t) and is_nested(src):
        return json_text(arr, quote_strings=False)
    if pa.types.is_struct(t):
        if not pa.types.is_struct(src):
            raise _type_error(path, f, src)
        children = list(zip(list(src), arr.flatten(), strict=True))  # flatten applies the parent's nulls
        by_name = {g.name: child for g, child in children}
        for g, child in children:
            if t.get_field_index(g.name) < 0 and child.null_count < len(child):
                raise Mismatch(f"column {path}.{g.name}: field not in the declared {field_text(f)} "
                               "(declare it, or make the column json)")
        out = []
        for g in t:
            if g.name in by_name:
                out.append(_cast_child(by_name[g.name], g, f"{path}.{g.name}", ready))
            else:
                out.append(pa.nulls(len(arr), g.type))
        return pa.StructArray.from_arrays(out, fields=list(t), mask=arr.is_null())
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        if not (pa.types.is_list(src) or pa.types.is_large_list(src)):
            raise _type_error(path, f, src)
        lengths = pc.fill_null(pc.list_value_length(arr), 0).cast(pa.int32())
        offsets = pa.concat_arrays([pa.array([0], pa.int32()), pc.cumulative_sum(lengths).cast(pa.int32())])
        values = _cast_child(arr.flatten(), t.value_field, f"{path}[]", ready)
        return pa.ListArray.from_arrays(offsets, values, type=pa.list_(t.value_field), mask=arr.is_null())
    if pa.types.is_map(t):
        if not pa.types.is_map(src):
            raise _type_error(path, f, src)
        offsets = arr.offsets
        start, end = offsets[0].as_py(), offsets[-1].as_py()
        keys = _cast_child(arr.keys.slice(start, end - start), t.key_field, f"{path}.key")
        items = _cast_child(arr.items.slice(start, end - start), t.item_field, f"{path}.value", ready)
        rebased = pc.subtract(offsets, start).cast(pa.int32())
        return pa.MapArray.from_arrays(rebased, keys, items, type=t, mask=arr.is_null())
    if is_nested(src):
        raise _type_error(path, f, src)
    if pa.types.is_timestamp(t) and (pa.types.is_string(src) or pa.types.is_large_string(src)):
        return text_to_timestamp(arr, t)
    return pc.cast(arr, t)


_ZONE = r"(Z|[+-]\d\d:?\d\d)$"


def text_to_timestamp(arr: pa.Array, t: pa.TimestampType) -> pa.Array:
    """ISO 8601 text to ``t`` as pyarrow's JSON reader parses it: a zone offset (``Z``, ``+02:00``) makes
    the value an instant, kept as its UTC wall time in a zone-less timestamp; text without one is taken as
    written. (A plain cast refuses offsets into a zone-less timestamp.)"""
    zoned = pc.fill_null(pc.match_substring_regex(arr, _ZONE), False)
    if not pc.any(zoned).as_py():
        return pc.cast(arr, t)
    utc = pa.timestamp(t.unit, tz="UTC")
    with_zone = pc.cast(pc.if_else(zoned, arr, pa.scalar(None, arr.type)), utc)
    without = pc.cast(pc.if_else(zoned, pa.scalar(None, arr.type), arr), t)
    return pc.if_else(zoned, with_zone.cast(t), without)


def _cast_child(arr: pa.Array, f: pa.Field, path: str, ready: bool = False) -> pa.Array:
    if arr.type == f.type and not is_nested(f.type) and (ready or not is_json(f)):
        return arr
    try:
        return cast_nested(arr, f, path, ready)
    except (Mismatch, UnsupportedError):
        raise
    except (pa.ArrowInvalid, OverflowError) as exc:
        raise Mismatch(f"column {path}: cannot convert to {field_text(f)}: {exc}") from None


def needs_nested_cast(src: pa.DataType, f: pa.Field) -> bool:
    """Whether ``cast_nested`` (not a plain ``pc.cast``) converts ``src`` to ``f`` (nested values, JSON
    text, and ISO text to timestamps, which may carry a zone offset)."""
    return is_json(f) or is_nested(f.type) or is_nested(src) or (
        pa.types.is_timestamp(f.type) and (pa.types.is_string(src) or pa.types.is_large_string(src)))


def nested_cast(f: pa.Field, src_field: pa.Field) -> Callable[[pa.Array], pa.Array]:
    """The cast function ``convert.cast_locate`` bisects with, for one top-level column."""

    ready = bool(src_field.metadata) and src_field.metadata.get(READY_KEY) == b"1"

    def cast(a: pa.Array) -> pa.Array:
        return _cast_child(a, f, f.name, ready)
    return cast


# --- JSON values (json.loads) -> Arrow ----------------------------------------------------------------


class _Bad(Exception):
    """A value that does not fit, with the message the quarantine records."""


def _expected(path: str, expected: str, value: Any, detail: str = "") -> _Bad:
    return _Bad(f"column {path}: expected {expected}, found {json_kind(value)}" + (f" ({detail})" if detail else ""))


_INT_BITS = {8: 1 << 7, 16: 1 << 15, 32: 1 << 31, 64: 1 << 63}
Conv = Callable[[Any, str], Any]


def read_field(f: pa.Field) -> pa.Field:
    """The field built from Python values: leaves that pyarrow parses from text (date, timestamp, decimal,
    binary) are kept as strings and cast afterwards by ``cast_nested``."""
    t = f.type
    if pa.types.is_struct(t):
        nt: pa.DataType = pa.struct([read_field(g) for g in t])
    elif pa.types.is_map(t):
        nt = pa.map_(read_field(t.key_field).type, read_field(t.item_field))
    elif pa.types.is_list(t) or pa.types.is_large_list(t):
        nt = pa.list_(read_field(t.value_field))
    elif (pa.types.is_date(t) or pa.types.is_timestamp(t) or pa.types.is_decimal(t) or pa.types.is_binary(t)
          or pa.types.is_time(t)):
        nt = pa.string()
    else:
        nt = t
    return pa.field(f.name, nt, f.nullable, f.metadata)


def ready_field(f: pa.Field) -> pa.Field:
    """``read_field(f)`` marked as holding JSON text already where ``f`` has ``json`` fields."""
    return read_field(f).with_metadata({READY_KEY: b"1"})


def _only(ok: Callable[[Any], bool], expected: str) -> Conv:
    """A converter that passes values ``ok`` accepts as they are."""

    def conv(v: Any, p: str) -> Any:
        if ok(v):
            return v
        raise _expected(p, expected, v)
    return conv


def _converter(f: pa.Field) -> Conv:
    """A function (value, path) -> value for ``read_field(f)``; raises _Bad with what is wrong."""
    t = f.type
    expected = field_text(f)
    if is_json(f):
        return lambda v, p: dumps(v)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return lambda v, p: v if isinstance(v, str) else dumps(v)
    if pa.types.is_boolean(t):
        return _only(lambda v: isinstance(v, bool), expected)
    if pa.types.is_integer(t):
        limit = _INT_BITS[t.bit_width]

        def conv_int(v: Any, p: str) -> Any:
            if isinstance(v, int) and not isinstance(v, bool):
                if -limit <= v < limit:
                    return v
                raise _expected(p, expected, v, f"{v} is out of range")
            raise _expected(p, expected, v)
        return conv_int
    if pa.types.is_floating(t):
        def conv_float(v: Any, p: str) -> Any:
            if isinstance(v, int | float) and not isinstance(v, bool):
                return float(v)
            raise _expected(p, expected, v)
        return conv_float
    if pa.types.is_decimal(t):
        def conv_dec(v: Any, p: str) -> Any:
            if isinstance(v, int | float) and not isinstance(v, bool):
                return repr(v) if isinstance(v, float) else str(v)
            if isinstance(v, str):
                return v
            raise _expected(p, expected, v)
        return conv_dec
    if pa.types.is_date(t) or pa.types.is_timestamp(t) or pa.types.is_binary(t) or pa.types.is_time(t):
        return _only(lambda v: isinstance(v, str), expected)  # parsed by the cast that follows
    if pa.types.is_struct(t):
        subs = [(g.name, _converter(g)) for g in t]
        names = {g.name for g in t}

        def conv_struct(v: Any, p: str) -> Any:
            if not isinstance(v, dict):
                raise _expected(p, expected, v)
            for k in v:
                if k not in names and v[k] is not None:
                    raise _Bad(f"column {p}.{k}: field not in the declared {expected} "
                               "(declare it, or make the column json)")
            return {n: (None if (x := v.get(n)) is None else c(x, f"{p}.{n}")) for n, c in subs}
        return conv_struct
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        item = _converter(t.value_field)

        def conv_list(v: Any, p: str) -> Any:
            if not isinstance(v, list):
                raise _expected(p, expected, v)
            return [None if x is None else item(x, f"{p}[{i}]") for i, x in enumerate(v)]
        return conv_list
    if pa.types.is_map(t):
        key, val = _converter(t.key_field), _converter(t.item_field)
        key_is_text = pa.types.is_string(t.key_type)

        def conv_map(v: Any, p: str) -> Any:
            if not isinstance(v, dict):
                raise _expected(p, expected, v)
            # JSON object keys are always text: a map<bigint,...> takes keys that spell numbers.
            out = []
            for k, x in v.items():
                kk: Any = k
                if not key_is_text:
                    try:
                        kk = json.loads(k)
                    except ValueError:
                        raise _expected(f"{p}.key", field_text(t.key_field), k) from None
                out.append((key(kk, f"{p}.key"), None if x is None else val(x, f"{p}.{k}")))
            return out
        return conv_map
    raise UnsupportedError(f"column {f.name}: no conversion from JSON to {type_text(t)}")


def from_json_values(values: Sequence[Any], f: pa.Field) -> tuple[pa.Array, dict[int, str]]:
    """(array of ``read_field(f)``, {index: reason}) for the values of one top-level column; a value that
    does not fit becomes null and its index is returned with the reason."""
    t = read_field(f).type
    # Shortcuts for the common columns, at C speed: JSON text, and strings or integers that are all of
    # their kind (pa.array would quietly coerce some other kinds, so it only sees these).
    if is_json(f):
        return pa.array([None if v is None else dumps(v) for v in values], t), {}
    if pa.types.is_string(t) and all(type(v) is str or v is None for v in values):
        return pa.array(values, t), {}
    if pa.types.is_int64(t) and all(type(v) is int or v is None for v in values):
        try:
            return pa.array(values, t), {}
        except OverflowError:
            pass  # a value out of range: found and named below
    conv = _converter(f)
    bad: dict[int, str] = {}
    out: list[Any] = []
    for i, v in enumerate(values):
        if v is None:
            out.append(None)
            continue
        try:
            out.append(conv(v, f.name))
        except _Bad as exc:
            bad[i] = str(exc)
            out.append(None)
    return pa.array(out, t), bad
