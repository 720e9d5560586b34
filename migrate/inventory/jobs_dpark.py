"""DPark scripts: parsed (never executed) for the paths they read and write.

Legacy jobs are mostly Python 2, which Python 3's ``ast`` rejects. We try ``ast`` first; on a
SyntaxError we apply minimal textual fixes (print statements, ``<>``, backticks, ``except X, e``,
``raise E, msg``, octal and long literals, ``ur''``, tuple parameters, tabs) and retry; a line that still
does not parse is neutralised and reported with file:line, so one odd line does not hide the whole job.

Paths are the first argument of reader calls (``textFile``, ``csvFile``, ``tabular``, ``table``,
``beansdb``, ...) and of ``saveAs*`` calls. Arguments are folded when they are literals, module
constants, ``+``, ``%`` or ``.format`` of those, f-strings or ``os.path.join``; anything else (argv,
function results, loop variables) is recorded as a dynamic path, flagged and shown as written.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from migrate.inventory.model import PathRef, Problem

READ_CALLS = {
    "textFile", "csvFile", "tabular", "table", "beansdb", "partialTextFile", "bzip2File", "binaryFile",
    "tableFile", "wholeTextFiles", "pickleFile", "tfRecordsFile",
}
DPARK_MARKERS = re.compile(r"\b(dpark|DparkContext|optParser)\b")


@dataclass
class DparkScript:
    inputs: list[PathRef] = field(default_factory=list)
    outputs: list[PathRef] = field(default_factory=list)
    python2: bool = False
    is_dpark: bool = False
    problems: list[Problem] = field(default_factory=list)


# --- Python 2 tolerance -------------------------------------------------------------------------------

_PRINT = re.compile(r"^(\s*)print(?![\w(])\s*(.*?)\s*$")
_EXCEPT = re.compile(r"^(\s*except\s+[^,:]+?)\s*,\s*(\w+)\s*:")
_RAISE = re.compile(r"^(\s*raise\s+[\w.]+)\s*,\s*(.+?)\s*$")
_OCTAL = re.compile(r"(?<![\w.])0([0-7]+)\b")
_LONG = re.compile(r"(?<![\w.])(\d+)[lL]\b")
_UR = re.compile(r"\b[uU][rR](['\"])")
_EXEC = re.compile(r"^(\s*)exec\s+(?!\()(.+?)\s*$")


def _fix_print(m: re.Match[str]) -> str:
    indent, rest = m.group(1), m.group(2)
    if not rest:
        return f"{indent}print()"
    target = ""
    if rest.startswith(">>"):
        dest, _, rest = rest[2:].partition(",")
        target = f", file={dest.strip()}"
    end = ""
    if rest.endswith(","):
        rest, end = rest[:-1], ", end=' '"
    return f"{indent}print({rest}{target}{end})"


def _strip_tuple_params(line: str) -> str:
    """``lambda (k, v): ...`` and ``def f((a, b)):`` are Python 2 only: replace the tuple by one name."""
    out = line
    for kw in ("lambda", "def"):
        pos = 0
        while True:
            m = re.compile(rf"\b{kw}\b\s*(\w+\s*)?\(" if kw == "def" else rf"\b{kw}\b\s*\(").search(out, pos)
            if not m:
                break
            start = m.end() - 1 if kw == "lambda" else m.end()
            if kw == "def" and (start >= len(out) or "(" not in out[start:].split(")")[0]):
                pos = m.end()
                continue
            # find the tuple group
            j = out.index("(", start)
            depth, k = 0, j
            while k < len(out):
                if out[k] == "(":
                    depth += 1
                elif out[k] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                k += 1
            out = out[:j] + "_args" + out[k + 1 :]
            pos = j + 5
    return out


def py2_fix_line(line: str) -> str:
    s = line
    if "\t" in s:
        lead = len(s) - len(s.lstrip(" \t"))
        s = s[:lead].expandtabs(8) + s[lead:]
    s = _PRINT.sub(_fix_print, s)
    s = _EXCEPT.sub(r"\1 as \2:", s)
    s = _RAISE.sub(r"\1(\2)", s)
    s = _EXEC.sub(r"\1exec(\2)", s)
    s = s.replace("<>", "!=")
    s = re.sub(r"`([^`]*)`", r"repr(\1)", s)
    s = _OCTAL.sub(r"0o\1", s)
    s = _LONG.sub(r"\1", s)
    s = _UR.sub(r"r\1", s)
    if "lambda" in s or re.search(r"\bdef\b", s):
        s = _strip_tuple_params(s)
    return s


def tolerant_parse(src: str, path: str) -> tuple[ast.Module | None, bool, list[Problem]]:
    """(tree, needed Python 2 fixes, problems). Lines that cannot be fixed are blanked and reported."""
    try:
        return ast.parse(src), False, []
    except SyntaxError:
        pass
    lines = src.splitlines()
    fixed = [py2_fix_line(ln) for ln in lines]
    problems: list[Problem] = []
    for _ in range(200):
        try:
            return ast.parse("\n".join(fixed) + "\n"), True, problems
        except SyntaxError as exc:
            ln = (exc.lineno or 1) - 1
            if ln >= len(fixed) or ln < 0:
                break
            original = lines[ln] if ln < len(lines) else ""
            problems.append(Problem(path=f"{path}:{ln + 1}", kind="python_parse",
                                    message=f"could not parse: {exc.msg}: {original.strip()[:120]}"))
            indent = re.match(r"\s*", fixed[ln]).group(0)  # type: ignore[union-attr]
            fixed[ln] = indent + ("if True:" if fixed[ln].rstrip().endswith(":") else "pass")
    problems.append(Problem(path=path, kind="python_parse", message="gave up parsing"))
    return None, True, problems


# --- constant folding ---------------------------------------------------------------------------------


class _Dynamic(Exception):
    pass


_RUNTIME = "\x00runtime\x00"  # marks names bound at run time (loop variables, parameters, unpacking)


def _runtime() -> ast.expr:
    return ast.Constant(value=_RUNTIME)


class Folder:
    """Folds path expressions over names assigned exactly one foldable value in the file."""

    def __init__(self, tree: ast.Module) -> None:
        self.values: dict[str, Any] = {}
        assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        assigned.setdefault(t.id, []).append(node.value)
                    elif isinstance(t, ast.Tuple | ast.List):
                        for el in t.elts:
                            if isinstance(el, ast.Name):
                                assigned.setdefault(el.id, []).append(_runtime())
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                assigned.setdefault(node.target.id, []).append(node.value)
            elif isinstance(node, ast.For | ast.comprehension):
                for sub in ast.walk(node.target):
                    if isinstance(sub, ast.Name):
                        assigned.setdefault(sub.id, []).append(_runtime())
            elif isinstance(node, ast.FunctionDef | ast.Lambda):
                for a in node.args.args:
                    assigned.setdefault(a.arg, []).append(_runtime())
        self.assigned = assigned
        self.busy: set[str] = set()

    def name(self, n: str) -> Any:
        if n in self.values:
            return self.values[n]
        exprs = self.assigned.get(n)
        if not exprs or n in self.busy:
            raise _Dynamic(n)
        self.busy.add(n)
        try:
            vals = {repr(self.fold(e)) for e in exprs}
            if len(vals) != 1:
                raise _Dynamic(n)
            v = self.fold(exprs[0])
        finally:
            self.busy.discard(n)
        self.values[n] = v
        return v

    def fold(self, e: ast.expr) -> Any:
        if isinstance(e, ast.Constant):
            if e.value == _RUNTIME:
                raise _Dynamic("runtime value")
            return e.value
        if isinstance(e, ast.Name):
            return self.name(e.id)
        if isinstance(e, ast.BinOp):
            left, right = self.fold(e.left), self.fold(e.right)
            if isinstance(e.op, ast.Add):
                return left + right
            if isinstance(e.op, ast.Mod) and isinstance(left, str):
                return left % right
            if isinstance(e.op, ast.Mult):
                return left * right
            raise _Dynamic("operator")
        if isinstance(e, ast.Tuple | ast.List):
            vals = [self.fold(x) for x in e.elts]
            return tuple(vals) if isinstance(e, ast.Tuple) else vals
        if isinstance(e, ast.JoinedStr):
            parts = []
            for v in e.values:
                if isinstance(v, ast.FormattedValue):
                    parts.append(format(self.fold(v.value)))
                else:
                    parts.append(str(self.fold(v)))
            return "".join(parts)
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute):
            attr = e.func.attr
            if attr == "format" and not e.keywords:
                return self.fold(e.func.value).format(*[self.fold(a) for a in e.args])
            if attr == "join" and _dotted(e.func.value) in ("os.path", "path", "posixpath"):
                import posixpath

                return posixpath.join(*[self.fold(a) for a in e.args])
            if attr in ("strip", "rstrip", "lstrip") and not e.args:
                return getattr(self.fold(e.func.value), attr)()
        raise _Dynamic(type(e).__name__)


def _dotted(e: ast.expr) -> str:
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.Attribute):
        return f"{_dotted(e.value)}.{e.attr}"
    return ""


def _path_arg(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    for kw in call.keywords:
        if kw.arg in ("path", "paths", "filename"):
            return kw.value
    return None


def _refs(folder: Folder, arg: ast.expr, call: str, line: int) -> list[PathRef]:
    try:
        v = folder.fold(arg)
    except (_Dynamic, TypeError, ValueError, KeyError, IndexError):
        return [PathRef(text=ast.unparse(arg), dynamic=True, call=call, line=line)]
    vals = v if isinstance(v, list | tuple) else [v]
    out = []
    for x in vals:
        if isinstance(x, str):
            out.append(PathRef(text=x, call=call, line=line))
        else:
            out.append(PathRef(text=repr(x), dynamic=True, call=call, line=line))
    return out


def analyze(src: str, path: str = "<script>") -> DparkScript:
    res = DparkScript(is_dpark=bool(DPARK_MARKERS.search(src)))
    tree, py2, problems = tolerant_parse(src, path)
    res.python2, res.problems = py2, problems
    if tree is None:
        return res
    folder = Folder(tree)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        attr = node.func.attr
        is_read = attr in READ_CALLS
        is_write = attr.startswith("saveAs")
        if not (is_read or is_write):
            continue
        arg = _path_arg(node)
        if arg is None:
            continue
        refs = _refs(folder, arg, attr, node.lineno)
        (res.inputs if is_read else res.outputs).extend(refs)
        res.is_dpark = True
    res.inputs.sort(key=lambda r: (r.line or 0, r.text))
    res.outputs.sort(key=lambda r: (r.line or 0, r.text))
    return res
