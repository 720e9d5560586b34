"""DPark job -> PySpark job: fissix (Python 2 -> 3), then the DPark idioms (libcst, comments and layout kept),
then checks that nothing is silently wrong: the result must compile on Python 3 and no longer use DPark.

The report reuses the Hive translator's model (one report format for every translator): one unit per construct
met (a DPark API use, a Python 2 idiom, a legacy path) at its line in the legacy source, plus one ``module`` unit
per file that carries what concerns the whole file (does it compile, does it still import dpark).
"""

from __future__ import annotations

import ast
import difflib
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider
from migrate.translators.hive import Note
from migrate.translators.hive.report import FileResult, StatementResult, TranslationReport

from migrate.inventory import jobs_dpark

from .base import COMPAT, FileState, IdiomPass, Options
from .idioms import all_idioms
from .idioms.paths import LEGACY, map_path
from .modernize import decode_source, modernize

# Names only DPark has: one still called after translation means a construct was missed.
DPARK_ONLY = {
    "mapValue", "flatMapValue", "uniq", "hot", "topByKey", "adcount", "adcountByKey", "percentiles",
    "percentilesByKey", "mergeSplit", "reduceByKeyToDriver", "saveAsTextFileByKey", "saveAsCSVFile",
    "saveAsTabular", "saveAsBeansdb", "tabular", "csvFile", "beansdb", "makeRDD", "with_mem", "with_cpus",
    "with_gpus", "enumeratePartition", "fromCsv", "zipWith", "innerJoin", "outerJoin", "groupWith",
    "partitionByKey", "asTable", "filterByIndex", "partialTextFile", "tableFile", "binaryFile", "bzip2File",
    "saveAsTableFile", "saveAsBinaryFile", "saveAsTFRecordsFile", "tfRecordsFile",
}
_FUTURE_DIVISION = re.compile(r"^\s*from\s+__future__\s+import\s+[^\n]*\bdivision\b", re.M)
_CMDLINE = re.compile(r"^(sys\.argv|args?\b|argv\b|options?\.|opts?\.|flags\.)")
PY2_FIXERS_WITH_NOTES: dict[str, str] = {}


@dataclass
class DparkFile:
    """One translated file: the PySpark source and the report entry."""

    path: str
    source: str  # the translation (or the input, when it could not be parsed)
    result: FileResult
    uses_compat: bool = False
    resources: dict[str, Any] = field(default_factory=dict)


class DparkReport(TranslationReport):
    """The Hive report model with the unit named 'construct', a file-level status and files/s."""

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["kind"] = "dpark"
        d["unit"] = "construct"
        d["title"] = "DPark -> PySpark translation"
        d["languages"] = ["DPark (legacy source)", "PySpark"]
        s = d["summary"]
        s["files_per_second"] = round(len(self.files) / self.seconds, 1) if self.seconds > 0 else None
        for f, fd in zip(self.files, d["files"], strict=True):
            fd["status"] = file_status(f)
        s["files_by_status"] = {k: sum(1 for f in d["files"] if f["status"] == k)
                                for k in ("translated", "translated_with_notes", "unsupported")}
        return d


def file_status(fr: FileResult) -> str:
    c = fr.counts()
    if c["unsupported"]:
        return "unsupported"
    return "translated_with_notes" if c["translated_with_notes"] else "translated"


# ------------------------------------------------------------------ one file

def _units(events: Iterable[Any], path: str, lines: list[str],
           out_lines: dict[int, list[str]]) -> list[StatementResult]:
    grouped: dict[tuple[int, str], StatementResult] = {}
    for ev in events:
        key = (ev.line, ev.construct)
        unit = grouped.get(key)
        if unit is None:
            src = lines[ev.line - 1].strip() if 0 < ev.line <= len(lines) else ""
            unit = StatementResult(file=path, line=ev.line, end_line=ev.line, source=src, kind=ev.kind,
                                   outputs=out_lines.get(ev.line, []), constructs=[ev.construct])
            grouped[key] = unit
        if ev.rule not in unit.rules:
            unit.rules.append(ev.rule)
        if ev.note and Note(ev.rule, ev.note) not in unit.notes:
            unit.notes.append(Note(ev.rule, ev.note))
        if ev.failure and Note(ev.rule, ev.failure) not in unit.failures:
            unit.failures.append(Note(ev.rule, ev.failure))
    return sorted(grouped.values(), key=lambda u: (u.line, u.constructs))


def _output_lines(original: str, final: str) -> dict[int, list[str]]:
    """Original line -> the translated lines that came from it (for the report's side-by-side view)."""
    a, b = original.splitlines(), final.splitlines()
    out: dict[int, list[str]] = {}
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                out[i1 + k + 1] = [b[j1 + k].strip()]
        elif tag == "replace":
            if i2 - i1 == j2 - j1:
                for k in range(i2 - i1):
                    out[i1 + k + 1] = [b[j1 + k].strip()]
            else:
                block = [ln.strip() for ln in b[j1:j2] if ln.strip() and not ln.strip().startswith("# migrate:")]
                for k in range(i1, i2):
                    out[k + 1] = block[:6]
    return out


def _insert_imports(module: cst.Module, state: FileState, header: str) -> cst.Module:
    body = list(module.body)

    def first(i: int) -> cst.BaseSmallStatement | None:
        stmt = body[i] if i < len(body) else None
        return stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) and stmt.body else None

    i = 0
    head = first(0)
    if isinstance(head, cst.Expr) and isinstance(head.value, cst.SimpleString | cst.ConcatenatedString):
        i = 1  # module docstring
    while isinstance(first(i), cst.ImportFrom) and getattr(getattr(first(i), "module", None), "value", "") == \
            "__future__":
        i += 1
    new: list[cst.BaseStatement] = []
    if state.needs_functools:
        new.append(cst.parse_statement("import functools\n"))
    if state.uses_compat:
        new.append(cst.parse_statement(f"import {COMPAT}  # DPark behaviours Spark lacks (shipped beside this job)\n"))
    module = module.with_changes(body=[*body[:i], *new, *body[i:]]) if new else module
    return module.with_changes(header=[*module.header, cst.EmptyLine(comment=cst.Comment(header))])


def _residue(code: str, state: FileState) -> list[tuple[int, str, str]]:
    """(line in the translation, rule, reason) for what makes a translation unusable."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        return [(exc.lineno or 1, "python3_compile", f"the translation does not compile on Python 3: {exc.msg}")]
    out = []
    reported = {(ev.line, ev.construct) for ev in state.events if ev.failure}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "dpark" or a.name.startswith("dpark."):
                    out.append((node.lineno, "imports_dpark", f"still imports {a.name}"))
        elif isinstance(node, ast.ImportFrom) and node.module and (
                node.module == "dpark" or node.module.startswith("dpark.")):
            out.append((node.lineno, "imports_dpark", f"still imports from {node.module}"))
        elif isinstance(node, ast.Attribute) and node.attr in DPARK_ONLY and isinstance(node.ctx, ast.Load) and \
                not (isinstance(node.value, ast.Name) and node.value.id == COMPAT) and \
                not any(c == node.attr for _, c in reported):
            out.append((node.lineno, "dpark_residue", f".{node.attr}: a DPark-only name is still used"))
    return out


def _path_events(state: FileState, source: str, modern_map: Any, path: str) -> None:
    """Reader/writer paths the literal rewrite could not settle, from the inventory's path analysis."""
    try:
        script = jobs_dpark.analyze(source, path)
    except Exception:
        return
    opts = state.options
    mapped_lines = {ev.line for ev in state.events if ev.construct == "legacy_path"}
    noted = {ev.line for ev in state.events if ev.construct == "unmapped_path"}
    for ref in [*script.inputs, *script.outputs]:
        line = modern_map(ref.line or 1)
        if ref.dynamic:
            if _CMDLINE.match(ref.text):
                state.record(line, "path_from_command_line", "path")
            elif line not in mapped_lines:
                state.record(line, "runtime_path", "path", note=f"path built at run time ({ref.text[:80]}): it "
                             "is not rewritten; make sure it names the new store")
            continue
        if not LEGACY.match(ref.text) or map_path(ref.text, opts) is not None or line in noted:
            continue
        if opts.location_map:
            state.record(line, "unmapped_path", "path", note=f"{ref.text}: no location in the plan covers this "
                         "legacy path; it is kept as written")
        else:
            state.record(line, "unmapped_path", "path", note=f"{ref.text}: kept as written (give --plan or "
                         "--location-map to rewrite legacy paths)")


def translate_source(text: str, path: str = "<job>", options: Options | None = None) -> DparkFile:
    options = options or Options()
    state = FileState(options=options, future_division=bool(_FUTURE_DIVISION.search(text)))
    orig_lines = text.splitlines()
    modern = modernize(text)
    for hit in modern.hits:
        state.record(hit.line, f"py2:{hit.fixer}", "python2", rule=f"py2:{hit.fixer}")
    if modern.tabs_fixed:
        state.record(modern.tabs_fixed[0], "py2:tabs", "python2", rule="py2:tabs")
    module_line = 1
    if modern.error is not None:
        line, msg = modern.error
        state.record(line, "module", "module", failure=msg, rule="python2_parse")
        result = FileResult(path=path, statements=_units(state.events, path, orig_lines, {}))
        return DparkFile(path, text, result)
    try:
        module = cst.parse_module(modern.source)
    except cst.ParserSyntaxError as exc:
        state.record(modern.original_line(exc.raw_line), "module", "module", rule="python3_parse",
                     failure=f"cannot parse the modernised source: {exc.message}")
        result = FileResult(path=path, statements=_units(state.events, path, orig_lines, {}))
        return DparkFile(path, modern.source, result)

    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)

    def line_of(node: cst.CSTNode) -> int:
        anchor = node.func.attr if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) else node
        pos = positions.get(anchor) or positions.get(node)
        return modern.original_line(pos.start.line) if pos is not None else 1

    try:
        py_tree = ast.parse(modern.source)
    except SyntaxError:
        py_tree = ast.Module(body=[], type_ignores=[])
    new_module = module.visit(IdiomPass(all_idioms(state, modern.source, py_tree), line_of, state))
    _path_events(state, modern.source, modern.original_line, path)
    header = f"# Translated from {os.path.basename(path)} (DPark -> PySpark) by migrate translate dpark"
    new_module = _insert_imports(new_module, state, header)
    code = new_module.code
    for line, rule, reason in _residue(code, state):
        state.record(module_line, "module", "module", failure=f"line {line} of the translation: {reason}", rule=rule)
    if not any(ev.construct == "module" for ev in state.events):
        state.record(module_line, "module", "module")
    result = FileResult(path=path, statements=_units(state.events, path, orig_lines, _output_lines(text, code)))
    return DparkFile(path, code, result, uses_compat=state.uses_compat)


# ------------------------------------------------------------------ many files

def iter_py_files(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*.py") if q.is_file() and not any(
                part.startswith(".") for part in q.relative_to(p).parts)))
        else:
            out.append(p)
    return out


def _one(args: tuple[str, str, Options]) -> DparkFile:
    path, display, options = args
    text = decode_source(Path(path).read_bytes())
    opts = Options(**{**options.__dict__, "app_name": Path(path).stem})
    return translate_source(text, display, opts)


def translate_paths(paths: Iterable[str | Path], options: Options | None = None,
                    workers: int | None = None) -> tuple[DparkReport, list[DparkFile]]:
    """Translate every ``.py`` file under ``paths``. Many files are spread over the CPU cores (libcst's
    traversal is pure Python: one core does ~20-40 files/s)."""
    options = options or Options()
    files = iter_py_files(paths)
    jobs = [(str(f), str(f), options) for f in files]
    start = time.perf_counter()
    n = workers if workers is not None else (min(os.cpu_count() or 1, 4) if len(jobs) >= 16 else 1)
    if n > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(n) as pool:
            done = list(pool.map(_one, jobs, chunksize=4))
    else:
        done = [_one(j) for j in jobs]
    report = DparkReport(options=_options_dict(options))
    report.files = [d.result for d in done]
    report.seconds = time.perf_counter() - start
    return report, done


def _options_dict(o: Options) -> dict[str, Any]:
    return {"location_map": [list(x) for x in o.location_map], "converted": sorted(o.converted),
            "s3_scheme": o.s3_scheme, "plan": o.have_plan}
