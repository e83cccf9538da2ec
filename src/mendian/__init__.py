"""Mendian (门店): store cashier, members, marketing and inventory for Chinese retailers."""

__version__ = "0.1.0"
