"""Legacy paths (``/mfs/...``, ``hdfs://...``) -> where the plan moved them.

Every string literal that starts with a mapped legacy prefix is rewritten, so paths built with ``%``,
``.format``, ``+`` or ``os.path.join`` from a literal prefix follow too. Paths built at run time (argv,
``glob``, ``os.listdir``) are reported by the translator from the inventory's path analysis.
"""

from __future__ import annotations

import re

import libcst as cst

from ..base import Idiom, Options, dotted

# Functions that only reach local (mounted) files: a path moved to S3 or HDFS no longer works there.
_LOCAL_FS = re.compile(r"^(open|file|glob\.i?glob|i?glob|os\.(listdir|walk|scandir|stat|remove|unlink|makedirs|mkdir|"
                       r"rename)|os\.path\.\w+|shutil\.\w+|codecs\.open|io\.open)$")
_SCHEME = re.compile(r"^(hdfs|viewfs|webhdfs|mfs|maprfs|file)://[^/]*", re.I)
LEGACY = re.compile(r"^(/mfs/|/home\w*/|/data\w*/|(hdfs|viewfs|webhdfs|mfs|maprfs)://)", re.I)


def _path_only(uri: str) -> str:
    return _SCHEME.sub("", uri)


def spark_uri(target: str, options: Options) -> str:
    """How a Spark job names a target location: plain paths for mounts, s3a:// for S3 (hadoop-aws)."""
    if target.startswith("file://"):
        return target[len("file://"):] or "/"
    if target.startswith("s3://") and options.s3_scheme != "s3":
        return f"{options.s3_scheme}://{target[len('s3://'):]}"
    return target


def map_path(value: str, options: Options) -> str | None:
    """The target for a legacy path (longest mapped prefix wins), or None when unmapped."""
    best: tuple[int, str] | None = None
    for old, new in options.location_map:
        for cand_old, cand in ((old, value), (_path_only(old), _path_only(value))):
            cand_old = cand_old.rstrip("/")
            if cand_old and (cand == cand_old or cand.startswith(cand_old + "/")):
                if best is None or len(cand_old) > best[0]:
                    best = (len(cand_old), spark_uri(new.rstrip("/"), options) + cand[len(cand_old):])
                break
    return best[1] if best else None


def _requote(node: cst.SimpleString, value: str) -> cst.SimpleString:
    prefix = node.prefix
    quote = node.quote
    body = value.replace("\\", "\\\\").replace(quote[0], "\\" + quote[0]) if "r" not in prefix.lower() else value
    return node.with_changes(value=f"{prefix}{quote}{body}{quote}")


class LegacyPaths(Idiom):
    name = "legacy_path"

    def leave_SimpleString(self, original: cst.SimpleString, updated: cst.SimpleString,
                           line: int) -> cst.BaseExpression:
        if "b" in updated.prefix.lower() or len(updated.value) > 2000:
            return updated
        try:
            value = updated.evaluated_value
        except Exception:
            return updated
        if not isinstance(value, str) or not (value.startswith("/") or "://" in value[:16]):
            return updated
        new = map_path(value, self.state.options)
        if new is None and LEGACY.match(value):
            where = "no location in the plan covers it" if self.state.options.location_map else \
                "give --plan or --location-map to rewrite legacy paths"
            self.record(line, "unmapped_path", kind="path",
                        note=f"{value[:120]}: legacy path kept as written ({where})")
        if new is None or new == value:
            return updated
        self.record(line, "legacy_path", kind="path")
        self._local_call(new, line)
        return _requote(updated, new)

    def _local_call(self, new: str, line: int) -> None:
        """A moved path handed to a local file-system function: fine on a mount, broken on an object store."""
        if self.run is None or not re.match(r"^[a-z][\w+.-]*://", new):
            return
        for node in reversed(self.run.stack[-4:]):
            if isinstance(node, cst.Call):
                fn = dotted(node.func)
                if _LOCAL_FS.match(fn):
                    self.record(line, "local_fs_call", kind="path", note=f"{fn}() reads the local file system, "
                                f"but this path moved to {new.split('://')[0]}://: list or read it through Spark "
                                "(or a mount of the new store)")
                break

    def leave_FormattedStringText(self, original: cst.FormattedStringText, updated: cst.FormattedStringText,
                                  line: int) -> cst.FormattedStringText:
        value = updated.value
        parent = self.run.stack[-1] if self.run is not None and self.run.stack else None
        if isinstance(parent, cst.FormattedString) and parent.parts and parent.parts[0] is not original:
            return updated  # only the leading text of an f-string is a path prefix
        if not (value.startswith("/") or "://" in value[:16]):
            return updated
        new = map_path(value, self.state.options)
        if new is None or new == value:
            return updated
        self.record(line, "legacy_path", kind="path")
        return updated.with_changes(value=new.replace("{", "{{").replace("}", "}}"))
