"""The fleet domain: route deviations of vehicles classified as normal, traffic or unauthorized.

Faust-free: :mod:`fleet.engine` (per-vehicle corridors, habits, episodes, geofences and the
classifier) and :mod:`fleet.area` (cross-vehicle context per area) take raw records and return
:class:`streams.Emit` records; :mod:`agents.fleet` is the thin Faust glue around them.
"""
