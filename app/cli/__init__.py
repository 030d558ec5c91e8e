"""Sub-commands of the ``aiot`` CLI; each module exposes ``register(subparsers)``."""
