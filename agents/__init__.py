"""The domains of aiot, one package each, and their registry (:mod:`agents.registry`)."""
