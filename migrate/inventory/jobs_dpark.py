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
from collections.abc import Callable
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
    warnings: list[Problem] = field(default_factory=list)  # shell commands: need a person's eye


SHELL_CALLS = {
    "os.system", "os.popen", "os.popen2", "os.popen3", "os.spawnl", "os.spawnlp", "os.execl", "os.execlp",
    "subprocess.call", "subprocess.check_call", "subprocess.check_output", "subprocess.Popen", "subprocess.run",
    "subprocess.getoutput", "subprocess.getstatusoutput", "commands.getoutput", "commands.getstatusoutput",
}


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


_STRING = re.compile(r"""[rRbBuU]{0,2}('(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")|#.*""")


def _in_code(line: str, fix: Callable[[str], str]) -> str:
    """Apply ``fix`` to the code of a line, not to its string literals or comment ('2024-01-01' is no octal)."""
    out: list[str] = []
    pos = 0
    for m in _STRING.finditer(line):
        out += [fix(line[pos : m.start()]), m.group(0)]
        pos = m.end()
    return "".join(out) + fix(line[pos:])


def _fix_code(code: str) -> str:
    code = code.replace("<>", "!=")
    code = re.sub(r"`([^`]*)`", r"repr(\1)", code)
    code = _OCTAL.sub(r"0o\1", code)
    return _LONG.sub(r"\1", code)


def py2_fix_line(line: str) -> str:
    s = line
    if "\t" in s:
        lead = len(s) - len(s.lstrip(" \t"))
        s = s[:lead].expandtabs(8) + s[lead:]
    s = _PRINT.sub(_fix_print, s)
    s = _EXCEPT.sub(r"\1 as \2:", s)
    s = _RAISE.sub(r"\1(\2)", s)
    s = _EXEC.sub(r"\1exec(\2)", s)
    s = _in_code(s, _fix_code)
    s = _UR.sub(r"r\1", s)
    if "lambda" in s or re.search(r"\bdef\b", s):
        s = _strip_tuple_params(s)
    return s


def _join_continuations(lines: list[str]) -> list[str]:
    """Backslash-continued lines as one line at the first line's number (blank lines keep the numbering),
    so line-wise fixes such as ``print 'a', \\`` see the whole statement."""
    out = list(lines)
    i = 0
    while i < len(out):
        j = i
        while out[i].rstrip().endswith("\\") and j + 1 < len(out) and not out[i].lstrip().startswith("#"):
            j += 1
            out[i] = out[i].rstrip()[:-1].rstrip() + " " + out[j].strip()
            out[j] = ""
        i = j + 1
    return out


def tolerant_parse(src: str, path: str) -> tuple[ast.Module | None, bool, list[Problem]]:
    """(tree, needed Python 2 fixes, problems). Lines that cannot be fixed are blanked and reported."""
    try:
        return ast.parse(src), False, []
    except SyntaxError:
        pass
    lines = src.splitlines()
    fixed = [py2_fix_line(ln) for ln in _join_continuations(lines)]
    problems: list[Problem] = []
    failed: set[int] = set()
    for _ in range(200):
        try:
            return ast.parse("\n".join(fixed) + "\n"), True, problems
        except SyntaxError as exc:
            ln = (exc.lineno or 1) - 1
            if ln >= len(fixed) or ln < 0:
                break
            if ln in failed:  # neutralised already and still wrong (an unexpected indent): blank it
                fixed[ln] = ""
                continue
            failed.add(ln)
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
    """Folds path expressions over names assigned exactly one foldable value in their scope.

    Scopes follow Python: a name assigned in a function is local to it (unless declared ``global``), so
    ``out = '/mfs/a'`` in one function and ``out = '/mfs/b'`` in another are two known values, not one
    ambiguous name; names not assigned locally are looked up in the enclosing functions, then the module."""

    def __init__(self, tree: ast.Module) -> None:
        self.values: dict[tuple[int, str], Any] = {}
        self.assigned: dict[tuple[int, str], list[ast.expr]] = {}
        self.parent: dict[int, int] = {0: 0}
        self.scope_of: dict[int, int] = {}  # id(node) -> scope (0: module, else id of the function node)
        self.busy: set[tuple[int, str]] = set()
        self._visit(tree, 0, set())

    def _assign(self, scope: int, name: str, value: ast.expr, global_names: set[str]) -> None:
        key = (0 if name in global_names else scope, name)
        self.assigned.setdefault(key, []).append(value)

    def _visit(self, node: ast.AST, scope: int, global_names: set[str]) -> None:
        self.scope_of[id(node)] = scope
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            inner = id(node)
            self.parent[inner] = scope
            a = node.args
            for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, *([a.vararg] if a.vararg else []),
                        *([a.kwarg] if a.kwarg else [])]:
                self._assign(inner, arg.arg, _runtime(), set())
            for d in [*a.defaults, *[x for x in a.kw_defaults if x is not None]]:
                self._visit(d, scope, global_names)
            body = node.body if isinstance(node.body, list) else [node.body]
            inner_globals = {n for st in body for sub in ast.walk(st) if isinstance(sub, ast.Global) for n in sub.names}
            for st in body:
                self._visit(st, inner, inner_globals)
            return
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    self._assign(scope, t.id, node.value, global_names)
                else:
                    for sub in ast.walk(t):
                        if isinstance(sub, ast.Name):
                            self._assign(scope, sub.id, _runtime(), global_names)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            self._assign(scope, node.target.id, node.value, global_names)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            self._assign(scope, node.target.id, _runtime(), global_names)  # x += ...: changes at run time
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension | ast.withitem | ast.NamedExpr):
            target = node.optional_vars if isinstance(node, ast.withitem) else node.target
            for sub in ast.walk(target) if target is not None else ():
                if isinstance(sub, ast.Name):
                    self._assign(scope, sub.id, _runtime(), global_names)
        for child in ast.iter_child_nodes(node):
            self._visit(child, scope, global_names)

    def name(self, n: str, scope: int = 0) -> Any:
        while (scope, n) not in self.assigned and scope != 0:
            scope = self.parent.get(scope, 0)
        key = (scope, n)
        if key in self.values:
            return self.values[key]
        exprs = self.assigned.get(key)
        if not exprs or key in self.busy:
            raise _Dynamic(n)
        self.busy.add(key)
        try:
            vals = {repr(self.fold(e, scope)) for e in exprs}
            if len(vals) != 1:
                raise _Dynamic(n)
            v = self.fold(exprs[0], scope)
        finally:
            self.busy.discard(key)
        self.values[key] = v
        return v

    def fold(self, e: ast.expr, scope: int = 0) -> Any:
        if isinstance(e, ast.Constant):
            if e.value == _RUNTIME:
                raise _Dynamic("runtime value")
            return e.value
        if isinstance(e, ast.Name):
            return self.name(e.id, scope)
        if isinstance(e, ast.BinOp):
            left, right = self.fold(e.left, scope), self.fold(e.right, scope)
            if isinstance(e.op, ast.Add):
                return left + right
            if isinstance(e.op, ast.Mod) and isinstance(left, str):
                return left % (tuple(right) if isinstance(right, list) else right)
            if isinstance(e.op, ast.Mult):
                return left * right
            raise _Dynamic("operator")
        if isinstance(e, ast.Tuple | ast.List):
            vals = [self.fold(x, scope) for x in e.elts]
            return tuple(vals) if isinstance(e, ast.Tuple) else vals
        if isinstance(e, ast.Dict):  # '%(day)s' % {'day': DAY}
            if any(k is None for k in e.keys):
                raise _Dynamic("dict unpacking")
            return {self.fold(k, scope): self.fold(v, scope) for k, v in zip(e.keys, e.values, strict=True)
                    if k is not None}
        if isinstance(e, ast.JoinedStr):
            parts = []
            for v in e.values:
                if isinstance(v, ast.FormattedValue):
                    parts.append(format(self.fold(v.value, scope)))
                else:
                    parts.append(str(self.fold(v, scope)))
            return "".join(parts)
        if isinstance(e, ast.Call):
            fn = _dotted(e.func)
            args = e.args
            if fn in ("glob.glob", "glob.iglob", "glob", "iglob") and len(args) == 1:
                return [self.fold(args[0], scope)]  # the pattern: which files match is decided at run time
            if fn in ("sorted", "list", "tuple") and len(args) == 1 and not e.keywords:
                v = self.fold(args[0], scope)
                if isinstance(v, list | tuple):
                    return list(v)
                raise _Dynamic(fn)
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute):
            attr = e.func.attr
            if attr == "format" and not e.keywords:
                return self.fold(e.func.value, scope).format(*[self.fold(a, scope) for a in e.args])
            if attr == "join" and _dotted(e.func.value) in ("os.path", "path", "posixpath"):
                import posixpath

                return posixpath.join(*[self.fold(a, scope) for a in e.args])
            if attr == "join" and len(e.args) == 1:  # ','.join([...])
                sep, parts = self.fold(e.func.value, scope), self.fold(e.args[0], scope)
                if isinstance(sep, str) and isinstance(parts, list | tuple) and all(isinstance(p, str) for p in parts):
                    return sep.join(parts)
                raise _Dynamic("join")
            if attr in ("strip", "rstrip", "lstrip") and not e.args:
                return getattr(self.fold(e.func.value, scope), attr)()
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


_PATHLIKE = re.compile(r"^(/|[a-zA-Z][\w+.-]*://)")


def _refs(folder: Folder, arg: ast.expr, call: str, line: int, scope: int = 0) -> list[PathRef]:
    try:
        v = folder.fold(arg, scope)
    except (_Dynamic, TypeError, ValueError, KeyError, IndexError, AttributeError):
        return [PathRef(text=ast.unparse(arg), dynamic=True, call=call, line=line)]
    vals = v if isinstance(v, list | tuple) else [v]
    out: list[PathRef] = []
    for x in vals:
        if isinstance(x, str) and "," in x and all(_PATHLIKE.match(p.strip()) for p in x.split(",")):
            out.extend(PathRef(text=p.strip(), call=call, line=line) for p in x.split(","))  # 'a,b': two paths
            continue
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
        if not isinstance(node, ast.Call):
            continue
        if _dotted(node.func) in SHELL_CALLS:
            res.warnings.append(Problem(
                path=f"{path}:{node.lineno}", kind="shell_command",
                message=f"{ast.unparse(node)[:160]}: runs a shell command (on DPark's 0000-style output files?); "
                        "check it against the new storage and Spark's part-00000 names"))
            continue
        if not isinstance(node.func, ast.Attribute):
            continue
        attr = node.func.attr
        is_read = attr in READ_CALLS
        is_write = attr.startswith("saveAs")
        if not (is_read or is_write):
            continue
        arg = _path_arg(node)
        if arg is None:
            continue
        refs = _refs(folder, arg, attr, node.lineno, folder.scope_of.get(id(node), 0))
        (res.inputs if is_read else res.outputs).extend(refs)
        res.is_dpark = True
    res.inputs.sort(key=lambda r: (r.line or 0, r.text))
    res.outputs.sort(key=lambda r: (r.line or 0, r.text))
    return res
