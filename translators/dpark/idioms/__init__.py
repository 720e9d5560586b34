"""One small rewrite per DPark or Python 2 idiom, run in this order by ``base.IdiomPass`` in one traversal."""

from __future__ import annotations

from ..base import FileState, Idiom
from .imports import (
    AccumulatorParams,
    AccumulatorRecompute,
    ContextCreation,
    DparkImports,
    OptionParser,
    accumulator_functions,
)
from .io import Readers, Writers
from .paths import LegacyPaths
from .python3 import CmpSort, FileBuiltin, HashSeed, IntDivision, Py2Round, ShellAndPartNames, TextAndBytes
from .rdd import DparkOnlyOps, RddMethods, Unsupported


def all_idioms(state: FileState, source: str, tree: object) -> list[Idiom]:
    return [
        AccumulatorRecompute(state, accumulator_functions(tree)),
        DparkImports(state, source), ContextCreation(state), OptionParser(state), AccumulatorParams(state),
        Readers(state), Writers(state), Unsupported(state), DparkOnlyOps(state), RddMethods(state),
        IntDivision(state), TextAndBytes(state), Py2Round(state), CmpSort(state), FileBuiltin(state),
        HashSeed(state), LegacyPaths(state), ShellAndPartNames(state),
    ]
