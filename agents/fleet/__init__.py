"""The fleet domain: route deviations of vehicles classified as normal, traffic or unauthorized.

Faust-free: :mod:`agents.fleet.engine` (per-vehicle corridors, habits, episodes, geofences and
the classifier) and :mod:`agents.fleet.area` (cross-vehicle context per area) take raw records
and return typed outputs; :mod:`agents.fleet.domain` declares the domain to the runtime.
"""
