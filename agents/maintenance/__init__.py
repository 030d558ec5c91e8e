"""The predictive-maintenance domain: per-asset state, shared class models and the engine.

Faust-free: :class:`agents.maintenance.engine.MaintenanceEngine` turns raw input bytes into
typed output records; :mod:`agents.maintenance.domain` declares the domain to the runtime.
"""
