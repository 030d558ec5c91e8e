"""Simulated construction site for the safety domain: workers, shifts, wearables, ground truth."""
