"""Workforce safety: fatigue, man-down and stationary groups in high-risk zones (no Faust).

Wearable readings (pseudonymised at the edge, no raw biometrics) go through
:class:`agents.safety.worker_engine.WorkerEngine`, keyed by worker: per-worker baselines and a
fatigue score against the worker's own history, man-down detection, and the worker's zone
presence, repartitioned by zone to :class:`agents.safety.zone_engine.ZoneEngine`, which alerts
on groups stationary in high-risk zones of the site map (:mod:`agents.safety.site_map`).
:mod:`agents.safety.domain` declares the domain to the runtime.
"""
