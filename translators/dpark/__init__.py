"""DPark (Python 2, on Mesos) -> PySpark translator: fissix, then one libcst rewrite per DPark idiom, with the
coverage report every translator shares. ``compat`` is the runtime module translated jobs import."""

from .base import Options
from .translate import DparkFile, DparkReport, file_status, translate_paths, translate_source

__all__ = ["DparkFile", "DparkReport", "Options", "file_status", "translate_paths", "translate_source"]
