"""Python 2 meanings fissix leaves alone: they compile on Python 3 and compute something else.

``/`` between ints floor-divided; ``round`` rounded halves away from zero; ``unicode(x, enc)`` and ``.decode``
turned bytes into text (Spark already gives text); ``file()`` opened files; ``cmp=`` sorted; ``hash()`` of a
str was stable across processes. Each becomes its Python 3 equivalent, or a note where only a person can tell.
"""

from __future__ import annotations

import re

import libcst as cst

from migrate.inventory.jobs_dpark import SHELL_CALLS

from ..base import Idiom, call, dotted, func_name, keyword, method_name, receiver, string_value

_INT_FUNCS = {"len", "int", "ord", "hash"}
_INT_METHODS = {"count", "getNumPartitions", "find", "index", "rfind"}
_FLOAT_FUNCS = {"float", "math.sqrt", "math.log", "math.exp", "sqrt", "log", "exp", "time.time", "random.random",
                "random.uniform"}


def _kind(node: cst.BaseExpression) -> str:
    """'int', 'float' or '?' for an operand of ``/``."""
    if isinstance(node, cst.Integer):
        return "int"
    if isinstance(node, cst.Float):
        return "float"
    if isinstance(node, cst.UnaryOperation):
        return _kind(node.expression)
    if isinstance(node, cst.Call):
        fn = dotted(node.func)
        if fn in _INT_FUNCS:
            return "int"
        if fn in _FLOAT_FUNCS:
            return "float"
        if method_name(node) in _INT_METHODS:
            return "int"
    if isinstance(node, cst.BinaryOperation) and not isinstance(node.operator, cst.Divide):
        a, b = _kind(node.left), _kind(node.right)
        if "float" in (a, b):
            return "float"
        if a == b == "int":
            return "int"
    return "?"


class IntDivision(Idiom):
    """``a / b``: floor division in Python 2 when both are ints (unless ``from __future__ import division``)."""

    name = "int_division"

    def _check(self, left: cst.BaseExpression, right: cst.BaseExpression, line: int) -> bool | None:
        """True: both ints (rewrite to //); False: a float is involved (keep); None: cannot tell (note)."""
        kinds = (_kind(left), _kind(right))
        if "float" in kinds:
            return False
        if kinds == ("int", "int"):
            return True
        return None

    def leave_BinaryOperation(self, original: cst.BinaryOperation, updated: cst.BinaryOperation,
                              line: int) -> cst.BaseExpression:
        if not isinstance(updated.operator, cst.Divide) or self.state.future_division:
            return updated
        both_int = self._check(updated.left, updated.right, line)
        if both_int:
            self.record(line, kind="python3")
            return updated.with_changes(operator=cst.FloorDivide(
                whitespace_before=updated.operator.whitespace_before,
                whitespace_after=updated.operator.whitespace_after))
        if both_int is None:
            self.record(line, kind="python3", note="'/' floor-divided ints in Python 2 and gives a float in "
                        "Python 3: write // if both operands are ints")
        return updated

    def leave_AugAssign(self, original: cst.AugAssign, updated: cst.AugAssign, line: int) -> cst.AugAssign:
        if isinstance(updated.operator, cst.DivideAssign) and not self.state.future_division:
            both_int = self._check(updated.target, updated.value, line)
            if both_int:
                self.record(line, kind="python3")
                return updated.with_changes(operator=cst.FloorDivideAssign(
                    whitespace_before=updated.operator.whitespace_before,
                    whitespace_after=updated.operator.whitespace_after))
            if both_int is None:
                self.record(line, kind="python3", note="'/=' floor-divided ints in Python 2: write //= if both "
                            "operands are ints")
        return updated


_BYTES_SINKS = re.compile(r"(^|\.)(md5|sha1|sha224|sha256|sha512|new|blake2b|crc32|adler32|compress|b64encode|"
                          r"urlsafe_b64encode|b32encode|hexlify|pack|send|sendall|write|update|digest|hmac)$")


class TextAndBytes(Idiom):
    """``x.decode(enc)`` and ``unicode(x, enc)`` (``str(x, enc)`` after fissix) -> ``dparkcompat.as_text``:
    Spark's lines are text already, which ``.decode`` would reject. ``.encode()`` outside a bytes consumer
    (hashing, compression, sockets) is noted: in Python 3 it yields bytes, which '%s' prints as b'...'."""

    name = "text_bytes"

    def leave_Call(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        name = method_name(updated)
        if name == "decode" and not dotted(updated.func).startswith(("codecs.", "json.", "base64.")):
            self.record(line, "str.decode", kind="python3")
            return call(self.state.compat("as_text"), [cst.Arg(receiver(updated)), *updated.args])
        if func_name(updated) == "str" and len(updated.args) >= 2:
            self.record(line, "unicode(x, encoding)", kind="python3")
            return call(self.state.compat("as_text"), list(updated.args))
        if name == "encode" and self.run is not None and not self._bytes_consumer():
            self.record(line, "str.encode", kind="python3", note=".encode() gives bytes in Python 3 (a str in "
                        "Python 2): '%s' % value prints b'...'; drop it unless bytes are needed")
        return updated

    def _bytes_consumer(self) -> bool:
        assert self.run is not None
        for node in reversed(self.run.stack[-3:]):
            if isinstance(node, cst.Call) and _BYTES_SINKS.search(dotted(node.func) or ""):
                return True
        return False


class Py2Round(Idiom):
    name = "round"

    def leave_Call(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        if func_name(updated) == "round" and updated.args:
            self.record(line, kind="python3")
            return updated.with_changes(func=self.state.compat("py2_round"))
        if func_name(updated) == "cmp" and len(updated.args) == 2:
            self.record(line, "cmp", kind="python3")
            return updated.with_changes(func=self.state.compat("cmp"))
        return updated


class CmpSort(Idiom):
    """``sorted(x, cmp=f)`` / ``x.sort(cmp=f)`` -> ``key=functools.cmp_to_key(f)``."""

    name = "sort_cmp"

    def leave_Call(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        cmp_arg = keyword(updated, "cmp")
        if cmp_arg is None or not (func_name(updated) == "sorted" or method_name(updated) == "sort"):
            return updated
        self.state.needs_functools = True
        self.record(line, kind="python3")
        key = cst.Call(cst.Attribute(cst.Name("functools"), cst.Name("cmp_to_key")), args=[cst.Arg(cmp_arg.value)])
        args = [a.with_changes(keyword=cst.Name("key"), value=key) if a is cmp_arg else a for a in updated.args]
        return updated.with_changes(args=args)


class FileBuiltin(Idiom):
    name = "file()"

    def leave_Call(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        if func_name(updated) == "file" and updated.args and "file" not in self.state.bound:
            self.record(line, kind="python3")
            return updated.with_changes(func=cst.Name("open"))
        return updated


class HashSeed(Idiom):
    name = "hash"

    def leave_Call(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        if func_name(updated) == "hash" and len(updated.args) == 1:
            self.record(line, kind="python3", note="hash() of a str differs between Python 3 processes: executors "
                        "need PYTHONHASHSEED=0 (migrate translate jobs sets spark.executorEnv.PYTHONHASHSEED), or use "
                        "zlib.crc32 for a stable hash")
        return updated


# ``from subprocess import check_call`` and friends, called by their bare names
_BARE_SHELL = {"check_call", "check_output", "Popen", "getoutput", "getstatusoutput", "system", "popen"}


class ShellAndPartNames(Idiom):
    """Shell commands and DPark's ``0000`` file names: they meet Spark's ``part-00000`` and the new stores."""

    name = "shell"

    def leave_Call(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        fn = dotted(updated.func)
        bare = fn in _BARE_SHELL or (fn == "call" and any(
            a.keyword is not None and a.keyword.value == "shell" for a in updated.args))
        if fn in SHELL_CALLS or bare:
            self.record(line, "shell_command", kind="python3", note=f"{fn}() runs a shell command: check it "
                        "against the new store (no /mfs mount) and Spark's part-00000 file names")
        return updated

    def leave_SimpleString(self, original: cst.SimpleString, updated: cst.SimpleString,
                           line: int) -> cst.BaseExpression:
        value = string_value(original)
        if value is not None and re.fullmatch(r"/?(\d{4}|%04d)(\.\w+)?|.*/(0000|%04d)(\.\w+)?", value):
            self.record(line, "part_file_name", kind="python3", note="DPark named output files 0000, 0001...; "
                        "Spark names them part-00000...: use dparkcompat.output_files(folder) to list them")
        return updated
