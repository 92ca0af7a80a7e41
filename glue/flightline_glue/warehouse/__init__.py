"""Loading staged files into the warehouse: one interface, PostgreSQL and Redshift behind it."""

from .base import LoadResult, StagedAirports, StagedDay, WarehouseLoader
from .config import WarehouseConfig, loader_for

__all__ = [
    "LoadResult",
    "StagedAirports",
    "StagedDay",
    "WarehouseConfig",
    "WarehouseLoader",
    "loader_for",
]
