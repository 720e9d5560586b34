"""DPark's imports, its context and its option parser.

``from dpark import DparkContext`` / ``import dpark`` go away; ``DparkContext(master)`` (also ``dpark.DparkContext``
and under an alias) becomes ``dparkcompat.spark_context(app)``: the master moves to spark-submit. The context may
be bound to a variable named ``dpark`` that shadows the module: that variable simply holds a SparkContext now.
``optParser`` becomes an OptionParser that still accepts DPark's flags (``-m -p -c -M``), so old command lines run.
"""

from __future__ import annotations

import libcst as cst

from ..base import FileState, Idiom, dotted, kw, string_value

_ACCUMULATOR_PARAMS = {"numAcc": "num_acc", "listAcc": "list_acc", "mapAcc": "map_acc", "setAcc": "set_acc"}
_UNSUPPORTED_MODULES = {
    "dpark.bagel": "Bagel (DPark's Pregel-style graph processing) has no PySpark twin: rewrite with GraphFrames "
                   "or iterative joins",
    "dpark.dstream": "DPark streaming (DStream) has no translation: rewrite with Spark Structured Streaming",
    "dpark.table": "DPark's TableRDD (SQL-like tables) has no translation: rewrite with Spark DataFrames",
    "dpark.beansdb": "BeansDB has no Spark reader: export the data to files and read those",
}


def _parser_assign() -> cst.Assign:
    return cst.Assign(targets=[cst.AssignTarget(cst.Name("optParser"))],
                      value=cst.Call(cst.Attribute(cst.Name("dparkcompat"), cst.Name("option_parser"))))


class DparkImports(Idiom):
    """``import dpark``, ``from dpark import ...``, ``from dpark.accumulator import listAcc`` and the like."""

    name = "import_dpark"

    def __init__(self, state: FileState, source: str) -> None:
        super().__init__(state)
        self.uses_module_parser = "optParser" in source  # dpark.optParser: a module-level parser is needed
        self.parser_defined = False

    def _parser_or_remove(self) -> cst.Assign | cst.RemovalSentinel:
        if self.uses_module_parser and not self.parser_defined:
            self.parser_defined = True
            self.state.uses_compat = True
            self.state.bound["optParser"] = "optParser"
            return _parser_assign()
        return cst.RemoveFromParent()

    def leave_Import(self, original: cst.Import, updated: cst.Import,
                     line: int) -> cst.CSTNode | cst.RemovalSentinel:
        kept = []
        touched = False
        for alias in updated.names:
            name = dotted(alias.name)
            if name == "dpark" or name.startswith("dpark."):
                touched = True
                local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) \
                    else name.split(".")[0]
                self.state.bound[local] = "module"
                reason = next((r for m, r in _UNSUPPORTED_MODULES.items() if name.startswith(m)), None)
                if reason:
                    self.record(line, name, failure=reason)
                else:
                    self.record(line, "import dpark")
            elif name == "mpi4py" or name.startswith("mpi4py."):
                self.record(line, "mpi4py", kind="dpark_api", failure="MPI (mpi4py) mixed into a DPark job has no "
                            "place in a Spark application: move the MPI part to its own job")
                kept.append(alias)
            else:
                kept.append(alias)
        if not touched or any(ev.failure and ev.line == line for ev in self.state.events):
            return updated
        if kept:
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated.with_changes(names=kept)
        return self._parser_or_remove()

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom,
                         line: int) -> cst.CSTNode | cst.RemovalSentinel:
        module = dotted(updated.module) if updated.module is not None else ""
        if module == "mpi4py" or module.startswith("mpi4py."):
            self.record(line, "mpi4py", failure="MPI (mpi4py) mixed into a DPark job has no place in a Spark "
                        "application: move the MPI part to its own job")
            return updated
        if not (module == "dpark" or module.startswith("dpark.")):
            return updated
        reason = next((r for m, r in _UNSUPPORTED_MODULES.items() if module.startswith(m)), None)
        names = [] if isinstance(updated.names, cst.ImportStar) else list(updated.names)
        if isinstance(updated.names, cst.ImportStar):
            self.record(line, f"from {module} import *", failure="a star import from DPark hides which names the "
                        "job uses: import them by name first")
            return updated
        defines_parser = False
        for alias in names:
            imported = dotted(alias.name)
            local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else imported
            if reason:
                self.record(line, f"{module}.{imported}", failure=reason)
            elif imported == "DparkContext":
                self.state.bound[local] = "DparkContext"
                self.record(line, "import dpark")
            elif imported == "optParser":
                self.state.bound[local] = "optParser"
                defines_parser = local == "optParser"
                self.record(line, "optParser", note="DPark's flags (-m, -p, -c, -M) are accepted and ignored: "
                            "resources come from spark-submit now (migrate translate jobs maps them)")
            elif imported in _ACCUMULATOR_PARAMS and module in ("dpark", "dpark.accumulator"):
                self.state.bound[local] = f"acc:{_ACCUMULATOR_PARAMS[imported]}"
                self.record(line, "accumulator_param")
            elif imported == "Bagel":
                self.record(line, "Bagel", failure=_UNSUPPORTED_MODULES["dpark.bagel"])
            elif imported in ("Aggregator", "HashPartitioner", "RangePartitioner"):
                self.state.bound[local] = f"unsupported:{imported}"
                self.record(line, imported, failure=f"DPark's {imported} object has no Spark twin: pass plain "
                            "functions (combineByKey(create, merge, combine)) or partitionBy(n, func)")
            else:
                self.record(line, f"{module}.{imported}", failure=f"{module}.{imported} is DPark-internal and has "
                            "no Spark twin")
        if any(ev.failure and ev.line == line for ev in self.state.events):
            return updated  # kept as written: the file must not pass for translated (the report says why)
        if defines_parser:
            self.parser_defined = True
            self.state.uses_compat = True
            return _parser_assign()
        return self._parser_or_remove()


class ContextCreation(Idiom):
    """``DparkContext(master)`` -> ``dparkcompat.spark_context(app)``."""

    name = "DparkContext"

    def leave_Call(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        fn = dotted(updated.func)
        is_ctx = (fn.endswith(".DparkContext") and self.state.bound.get(fn.split(".")[0]) == "module") or \
            self.state.bound.get(fn) == "DparkContext"
        if not is_ctx:
            return updated
        master_arg = updated.args[0].value if updated.args else None
        master = string_value(master_arg)
        args = [cst.Arg(cst.SimpleString(repr(self.state.options.app_name)))]
        if master and master.startswith("local"):
            args.append(kw("master", cst.SimpleString(repr(master))))
        if master_arg is not None and master is None:
            self.record(line, note="the master is computed at run time: on Kubernetes it comes from "
                        "spark-submit / the SparkApplication, so this value is ignored")
        else:
            self.record(line)
        return cst.Call(self.state.compat("spark_context"), args=args)


class OptionParser(Idiom):
    """``dpark.optParser`` (module attribute) -> the module-level ``optParser`` the imports idiom defined."""

    name = "optParser"

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute, line: int) -> cst.BaseExpression:
        if updated.attr.value == "optParser" and isinstance(updated.value, cst.Name) and \
                self.state.bound.get(updated.value.value) == "module":
            self.record(line, note="DPark's flags (-m, -p, -c, -M) are accepted and ignored: resources come from "
                        "spark-submit now (migrate translate jobs maps them)")
            return cst.Name("optParser")
        return updated


class AccumulatorParams(Idiom):
    """``listAcc`` and friends -> ``dparkcompat.list_acc()``; ``accumulator(v, param=...)`` -> ``accum_param=``."""

    name = "accumulator"

    def leave_Name(self, original: cst.Name, updated: cst.Name, line: int) -> cst.BaseExpression:
        what = self.state.bound.get(updated.value, "")
        if what.startswith("acc:") and self.run is not None and not isinstance(self.run.stack[-1],
                                                                               cst.ImportAlias):
            return cst.Call(self.state.compat(what[4:]))
        return updated

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute, line: int) -> cst.BaseExpression:
        if isinstance(updated.value, cst.Attribute) and dotted(updated.value).endswith("accumulator") and \
                updated.attr.value in _ACCUMULATOR_PARAMS and dotted(updated).startswith("dpark"):
            self.record(line, "accumulator_param")
            return cst.Call(self.state.compat(_ACCUMULATOR_PARAMS[updated.attr.value]))
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        if isinstance(updated.func, cst.Attribute) and updated.func.attr.value in ("accumulator", "broadcast") \
                and not dotted(updated.func).startswith(("threading", "self.")):
            self.record(line, updated.func.attr.value)
            args = [a.with_changes(keyword=cst.Name("accum_param")) if a.keyword and a.keyword.value == "param"
                    else a for a in updated.args]
            args = [a.with_changes(keyword=cst.Name("value")) if a.keyword and a.keyword.value == "init"
                    else a for a in args]
            return updated.with_changes(args=args)
        return updated


_TRANSFORMS = {"map", "flatMap", "filter", "mapPartitions", "mapPartition", "mapValue", "flatMapValue", "mapValues",
               "flatMapValues"}


def accumulator_functions(tree: object) -> set[str]:
    """Names of functions that update an accumulator (``acc.add(x)`` / ``acc += x``), from Python's ast."""
    import ast

    assert isinstance(tree, ast.Module)
    accs = {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
            and isinstance(n.value.func, ast.Attribute) and n.value.func.attr == "accumulator"
            for t in n.targets if isinstance(t, ast.Name)}
    out = set()
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef):
            for n in ast.walk(fn):
                if (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "add"
                        and isinstance(n.func.value, ast.Name) and n.func.value.id in accs) or (
                        isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name) and n.target.id in accs):
                    out.add(fn.name)
    return out


class AccumulatorRecompute(Idiom):
    """An RDD whose transformation updates an accumulator is cached: Spark re-runs transformations for every
    action that needs them and counts the updates again each time, where DPark counted them once."""

    name = "accumulator_in_transformation"

    def __init__(self, state: FileState, functions: set[str]) -> None:
        super().__init__(state)
        self.functions = functions

    def _updates(self, node: cst.BaseExpression) -> bool:
        while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if node.func.attr.value in _TRANSFORMS and any(
                    isinstance(a.value, cst.Name) and a.value.value in self.functions for a in node.args):
                return True
            node = node.func.value
        return False

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign, line: int) -> cst.Assign:
        if self.functions and self._updates(updated.value):
            self.record(line, note="cached: this RDD updates an accumulator, and Spark would count the updates "
                        "again for every action that recomputes it")
            return updated.with_changes(value=cst.Call(cst.Attribute(updated.value, cst.Name("cache"))))
        return updated
