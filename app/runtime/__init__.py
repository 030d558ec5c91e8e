"""The Faust runtime: the app factory, the worker, the agent loop shared by every domain, health."""
