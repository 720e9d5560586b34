"""Inventory of legacy datasets and jobs, their lineage and suggested migration waves.

``build_inventory(roots, ddl=[...], jobs_dirs=[...])`` returns an :class:`Inventory` (see
docs/inventory.md for the JSON schema); ``migrate inventory`` is its command line.
"""

from migrate.inventory.build import build_inventory
from migrate.inventory.model import Inventory
from migrate.inventory.scan import RootSpec, ScanSettings

__all__ = ["Inventory", "RootSpec", "ScanSettings", "build_inventory"]
