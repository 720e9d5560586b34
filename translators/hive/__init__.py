"""HiveQL -> Spark SQL translator (sqlglot based) with a coverage report that hides nothing."""

from .context import Note, Options
from .report import CLASSES, TRANSLATED, UNSUPPORTED, WITH_NOTES, FileResult, StatementResult, TranslationReport
from .splitter import split_statements
from .translate import HiveTranslator, render_script
from .variables import Variables

__all__ = [
    "CLASSES", "TRANSLATED", "UNSUPPORTED", "WITH_NOTES", "FileResult", "HiveTranslator", "Note", "Options",
    "StatementResult", "TranslationReport", "Variables", "render_script", "split_statements",
]
