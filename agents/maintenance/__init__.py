"""Predictive maintenance domain: per-asset state, shared class models and the engine.

Faust-free: :class:`maintenance.engine.MaintenanceEngine` turns raw input bytes into output
records; the Faust agent in :mod:`agents.maintenance` is glue around it.
"""
