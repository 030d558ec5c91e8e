"""Simulated truck fleet for the fleet domain: road network, schedules, episodes, ground truth.

:mod:`simulator.fleet.network` builds a road-like network, :mod:`simulator.fleet.plans` the
depots, customers, routes and shifts, :mod:`simulator.fleet.days` each vehicle-day's movements
(with injected episodes and legitimate variations) and :mod:`simulator.fleet.sim` turns them
into GPS fixes, ground truth and dispatcher verdicts, day by day; :mod:`simulator.fleet.runner`
paces them into Kafka.
"""
