"""Loading staged files into the warehouse: one interface, PostgreSQL and Redshift behind it."""

from .base import LoadResult, StagedDay, WarehouseLoader
from .config import WarehouseConfig, loader_for

__all__ = ["LoadResult", "StagedDay", "WarehouseConfig", "WarehouseLoader", "loader_for"]
