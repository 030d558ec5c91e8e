"""``python -m app.cli``: the ``aiot`` command line."""

from app.cli.main import main

raise SystemExit(main())
