"""The fleet domain: route deviations of vehicles classified as normal, traffic or unauthorized.

Faust-free: :mod:`agents.fleet.engine` orchestrates the per-vehicle steps (facts of a fix,
geofence presence, habits, episodes, area protocol, verdicts, alerts - one module each) and
:mod:`agents.fleet.area` keeps cross-vehicle context per area; both take raw records and return
typed outputs. :mod:`agents.fleet.domain` declares the domain to the runtime.
"""
