"""Reading and writing: DPark's readers on the context and its ``saveAs*`` methods on RDDs.

Plain ``textFile(path)`` stays Spark's ``textFile`` (folders are read recursively: ``spark_context`` switches
Hadoop's recursive input on); ``ext=``, lists of paths and paths of unknown shape go through
``dparkcompat.text_file``. A path the plan migrated to Parquet or Iceberg is read from the migrated table.
Writers go through the compat module: DPark overwrote output folders, Spark refuses them.
"""

from __future__ import annotations

import libcst as cst

from ..base import (
    Idiom,
    arg_value,
    call,
    keyword,
    method,
    method_name,
    positional,
    receiver,
    rename_keywords,
    string_value,
)

_BEANSDB = ("BeansDB (Douban's key-value store) has no Spark reader: export the data to files (for example "
            "with DPark's beansdb(...).saveAsTextFile before the cutover) and read those")
_NATIVE_PATH = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.BinaryOperation)


def _looks_like_str(node: cst.BaseExpression | None) -> bool:
    if isinstance(node, _NATIVE_PATH):
        return True
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.attr.value in ("format", "join", "strip", "rstrip") and not (
            isinstance(node.func.value, cst.SimpleString) and node.func.attr.value == "join")
    return False


class Readers(Idiom):
    name = "reader"

    def _converted(self, original: cst.Call) -> tuple[str, str, str, str] | None:
        path = string_value(arg_value(original, 0, "path"))
        if path is None:
            return None
        return self.state.options.converted.get(path.rstrip("/"))

    def leave_Call(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        name = method_name(updated)
        if name is None:
            return updated
        handler = getattr(self, f"_{name}", None)
        return handler(original, updated, line) if handler else updated

    def _from_plan(self, original: cst.Call, name: str, line: int) -> cst.BaseExpression | None:
        conv = self._converted(original)
        if conv is None:
            return None
        kind, where, delim, null = conv
        lit = cst.SimpleString(repr(where))
        if name == "textFile":
            fn = "text_lines_from_table" if kind == "iceberg" else "text_lines_from_parquet"
            self.record(line, name, note=f"reads the migrated {kind} data ({where}) and joins each row's fields "
                        f"with {delim!r} again, as the legacy lines were: check number and date formats")
            return call(self.state.compat(fn), [cst.Arg(lit), cst.Arg(cst.SimpleString(repr(delim))),
                                                         cst.Arg(cst.SimpleString(repr(null)))])
        fn = "read_table" if kind == "iceberg" else "read_parquet"
        self.record(line, name, note=f"reads the migrated {kind} data ({where}): rows of typed values where DPark "
                    "gave strings")
        return call(self.state.compat(fn), [cst.Arg(lit)])

    def _textFile(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        planned = self._from_plan(original, "textFile", line)
        if planned is not None:
            return planned
        path = arg_value(updated, 0, "path")
        args, dropped = rename_keywords(updated.args, {"splitSize": None, "cls": None})
        note = ("splitSize= dropped: Spark splits input by block size (spark.files.maxPartitionBytes); give "
                "minPartitions to ask for more splits") if "splitSize" in dropped else None
        special = {a.keyword.value for a in args if a.keyword is not None} - {"path", "numSplits"}
        if special or len(positional(updated)) > 1 or not _looks_like_str(path):
            self.record(line, "textFile", note=note)
            return call(self.state.compat("text_file"), [cst.Arg(receiver(updated)), *args])
        n_arg = keyword(updated, "numSplits")
        n = n_arg.value if n_arg is not None else None
        new_args = [cst.Arg(path)] if path is not None else []
        if n is not None:
            new_args.append(cst.Arg(n))
        self.record(line, "textFile", note=note)
        return method(receiver(updated), "textFile", new_args)

    def _bzip2File(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        return self._textFile(original, updated, line)

    def _csvFile(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        planned = self._from_plan(original, "csvFile", line)
        if planned is not None:
            return planned
        args, dropped = rename_keywords(updated.args, {"splitSize": None})
        self.record(line, "csvFile", note="splitSize= dropped: Spark splits input by block size"
                    if dropped else None)
        return call(self.state.compat("csv_file"), [cst.Arg(receiver(updated)), *args])

    def _tabular(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        planned = self._from_plan(original, "tabular", line)
        if planned is not None:
            return planned
        self.record(line, "tabular", note="DPark's tabular files are read as Parquet: convert them first (the "
                    "translated saveAsTabular writes Parquet)")
        return call(self.state.compat("tabular"), [cst.Arg(receiver(updated)), *updated.args])

    def _table(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        if not updated.args:
            return updated
        planned = self._from_plan(original, "table", line)
        if planned is not None:
            return planned
        self.record(line, "table", note="DPark's table files (.field_names) are read as Parquet: convert them first")
        return call(self.state.compat("table"), [cst.Arg(receiver(updated)), *updated.args])

    def _makeRDD(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        self.record(line, "makeRDD")
        args, _ = rename_keywords(updated.args, {"numSlices": "numSlices"})
        return method(receiver(updated), "parallelize", args)

    def _parallelize(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        self.record(line, "parallelize")
        return updated

    def _beansdb(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        self.record(line, "beansdb", failure=_BEANSDB)
        return updated

    def _partialTextFile(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        self.record(line, "partialTextFile", failure="partialTextFile (a byte range of a file) has no Spark "
                    "reader: read the whole file, or split it beforehand")
        return updated

    def _binaryFile(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        self.record(line, "binaryFile", failure="binaryFile (fixed-size struct records) : use "
                    "sc.binaryRecords(path, length) and struct.unpack(fmt, record) by hand")
        return updated

    def _tableFile(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        self.record(line, "tableFile", failure="tableFile (DPark's compressed table blocks) has no Spark "
                    "reader: convert the data to Parquet first")
        return updated

    def _tfRecordsFile(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        self.record(line, "tfRecordsFile", failure="TFRecords: read them with the spark-tfrecord data source")
        return updated


_WRITERS = {
    "saveAsTextFile": "save_as_text_file",
    "saveAsCSVFile": "save_as_csv_file",
    "saveAsTextFileByKey": "save_as_text_file_by_key",
    "saveAsTabular": "save_as_tabular",
}
_UNSUPPORTED_WRITERS = {
    "saveAsBeansdb": "BeansDB (Douban's key-value store) has no Spark writer: write files (Parquet) and load "
                     "them into the store with its own tools",
    "saveAsBinaryFile": "saveAsBinaryFile (struct-packed records) has no Spark writer: map to bytes with "
                        "struct.pack and write with saveAsPickleFile, or write Parquet",
    "saveAsTableFile": "saveAsTableFile (DPark's table blocks) has no Spark writer: write Parquet",
    "saveAsTFRecordsFile": "TFRecords: write them with the spark-tfrecord data source",
}


class Writers(Idiom):
    name = "writer"

    def leave_Call(self, original: cst.Call, updated: cst.Call, line: int) -> cst.BaseExpression:
        name = method_name(updated)
        if name in _UNSUPPORTED_WRITERS:
            self.record(line, name, failure=_UNSUPPORTED_WRITERS[name])
            return updated
        if name not in _WRITERS:
            return updated
        note = None
        if name == "saveAsTabular":
            note = "DPark's tabular format becomes Parquet with the same field names; readers of this path " \
                   "must read Parquet (translated tabular() calls do)"
        elif keyword(updated, "ext") is not None or (name == "saveAsTextFile" and len(positional(updated)) > 1):
            note = "ext= is not kept in file names: Spark names files part-00000 (DPark: 0000.ext)"
        self.record(line, name, note=note)
        return call(self.state.compat(_WRITERS[name]), [cst.Arg(receiver(updated)), *updated.args])
