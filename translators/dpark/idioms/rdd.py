"""RDD methods: DPark names with a Spark twin of another name or shape, and DPark-only operations.

Names that only DPark has (``mapValue``, ``uniq``, ``hot``...) are rewritten whatever the receiver; names shared
with Python's own types (``sort``, ``update``, ``sample``, ``lookup``) only where the call is plainly an RDD's
(its result is used: ``list.sort()`` and ``dict.update()`` return None; ``random.sample`` is left alone).
"""

from __future__ import annotations

import libcst as cst

from ..base import (
    Idiom,
    arg_value,
    call,
    clean,
    dotted,
    keyword,
    kw,
    method,
    method_name,
    positional,
    receiver,
    rename_keywords,
)

# DPark keyword -> Spark keyword (None: dropped) for the shuffle operations.
_SHUFFLE_KW: dict[str, str | None] = {"numSplits": "numPartitions", "taskMemory": None, "fixSkew": None,
                                      "rddconf": None, "splits": "numPartitions"}
_SHUFFLES = {"reduceByKey", "groupByKey", "join", "leftOuterJoin", "rightOuterJoin", "fullOuterJoin",
             "distinct", "partitionBy", "combineByKey", "groupBy", "sortByKey"}
_DROPPED_NOTES = {
    "taskMemory": "taskMemory= dropped: Spark sizes memory per executor (spark.executor.memory)",
    "fixSkew": "fixSkew= dropped: the RDD API has no skew handling; salt hot keys if a task straggles",
}
_RENAMES = {"mapValue": "mapValues", "flatMapValue": "flatMapValues", "uniq": "distinct", "zipWith": "zip",
            "mapPartition": "mapPartitions", "outerJoin": "fullOuterJoin", "innerJoin": "join"}
_LISTS = {"groupByKey", "groupBy"}  # DPark gives lists of values; Spark gives ResultIterable


def _not(expr: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(expr, cst.Name) and expr.value in ("True", "False"):
        return cst.Name("False" if expr.value == "True" else "True")
    return cst.UnaryOperation(cst.Not(), expr)


class RddMethods(Idiom):
    name = "rdd_method"

    def leave_Call(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        name = method_name(updated)
        if name is None:
            return updated
        if name in _RENAMES:
            new_name = _RENAMES[name]
            self.record(line, name)
            updated = updated.with_changes(func=updated.func.with_changes(attr=cst.Name(new_name)))
            name = new_name
        if name in ("with_mem", "with_cpus", "with_gpus"):
            self.record(line, name, note=f"{name}() dropped: Spark sets resources per application "
                        "(spark.executor.memory / spark.executor.cores / spark.task.cpus)")
            return receiver(updated)
        if name == "sort" and self.result_used() and not dotted(updated.func).startswith(("self.", "list.")):
            return self._sort(updated, line)
        if name == "sample" and dotted(receiver(updated)) not in ("random", "np.random", "numpy.random"):
            return self._sample(updated, line)
        if name == "union" and len(positional(updated)) > 1:
            self.record(line, "union")
            out = receiver(updated)
            for a in positional(updated):
                out = method(out, "union", [cst.Arg(a.value)])
            return out
        if name in _SHUFFLES:
            args, dropped = rename_keywords(updated.args, _SHUFFLE_KW)
            for d in dropped:
                if d in _DROPPED_NOTES:
                    self.record(line, name, note=_DROPPED_NOTES[d])
            if args != list(updated.args):
                updated = updated.with_changes(args=clean(args))
            if name in _LISTS:
                self.record(line, name)
                return method(updated, "mapValues", [cst.Arg(cst.Name("list"))])
        return updated

    def _sort(self, updated: cst.Call, line: int) -> cst.BaseExpression:
        key = arg_value(updated, 0, "key")
        reverse = arg_value(updated, 1, "reverse")
        n = arg_value(updated, 2, "numSplits")
        key = key or cst.parse_expression("lambda x: x")
        args = [cst.Arg(key)]
        if reverse is not None:
            args.append(kw("ascending", _not(reverse)))
        if n is not None:
            args.append(kw("numPartitions", n))
        self.record(line, "sort")
        return method(receiver(updated), "sortBy", args)

    def _sample(self, updated: cst.Call, line: int) -> cst.BaseExpression:
        fraction = arg_value(updated, 0, "faction") or arg_value(updated, 0, "fraction")
        if fraction is None:
            return updated
        repl = arg_value(updated, 1, "withReplacement") or cst.Name("False")
        seed = arg_value(updated, 2, "seed") or cst.Integer("12345")
        self.record(line, "sample", note="Spark samples other elements than DPark for the same seed")
        return method(receiver(updated), "sample", [cst.Arg(repl), cst.Arg(fraction), cst.Arg(seed)])


# DPark-only operations -> dparkcompat functions (same argument names).
_COMPAT = {
    "hot": "hot", "topByKey": "top_by_key", "adcount": "adcount", "adcountByKey": "adcount_by_key",
    "percentiles": "percentiles", "percentilesByKey": "percentiles_by_key", "mergeSplit": "merge_split",
    "reduceByKeyToDriver": "reduce_by_key_to_driver", "enumeratePartition": "enumerate_partition",
    "fromCsv": "from_csv", "groupWith": "group_with", "cogroup": "group_with", "partitionByKey": "partition_by_key",
    "checkpoint": "checkpoint",
}
_AMBIGUOUS = {"update": "update", "enumerate": "enumerate_rdd", "batch": "batch", "lookup": "lookup"}
_NOTES = {
    "adcount": "approximate distinct count (HyperLogLog in both engines): values differ within about 1%",
    "percentiles": "exact percentiles (linear interpolation) where DPark estimated them with a t-digest: values "
                   "differ slightly",
    "percentilesByKey": "exact percentiles (linear interpolation) where DPark estimated them with a t-digest: "
                        "values differ slightly",
    "adcountByKey": "exact distinct counts per key where DPark estimated them with HyperLogLog",
}


class DparkOnlyOps(Idiom):
    name = "dpark_only"

    def leave_Call(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        name = method_name(updated)
        if name is None:
            return updated
        target = _COMPAT.get(name)
        if target is None and name in _AMBIGUOUS and self.result_used() and \
                dotted(receiver(updated)).split(".")[0] not in ("codecs", "self", "os", "sys", "builtins"):
            target = _AMBIGUOUS[name]
            if name == "enumerate" and updated.args:
                return updated
        if name == "top" and keyword(updated, "reverse") is not None:
            target = "top"
        if target is None:
            return updated
        self.record(line, name, note=_NOTES.get(name))
        return call(self.state.compat(target), [cst.Arg(receiver(updated)), *updated.args])


class Unsupported(Idiom):
    """DPark APIs with no translation: reported with the reason and what to do."""

    name = "unsupported"
    _REASONS = {
        "asTable": "asTable (DPark's SQL-like TableRDD) has no translation: build a DataFrame with "
                   "spark.createDataFrame(rdd, fields) and use DataFrame or SQL operations",
    }

    def leave_Call(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        name = method_name(updated)
        if name == "asTable":
            self.record(line, name, failure=self._REASONS[name])
        elif name == "combineByKey" and updated.args and isinstance(updated.args[0].value, cst.Call) and \
                dotted(updated.args[0].value.func).endswith("Aggregator"):
            self.record(line, name, failure="combineByKey with a DPark Aggregator: pass its three functions "
                        "(createCombiner, mergeValue, mergeCombiners) to Spark's combineByKey")
        return updated
