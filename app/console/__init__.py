"""The operations console (``aiot console``): a live web page per domain and alarm handling.

* :mod:`app.console.view` - the bounded in-memory picture folded from the output topics;
* :mod:`app.console.actions` - operator requests turned into records (or a clear 4xx);
* :mod:`app.console.redact` - no raw identity or biometric ever reaches a page;
* :mod:`app.console.feed` - its own Kafka consumer (no group) and a producer;
* :mod:`app.console.server` - the aiohttp server, server-sent events, metrics and health;
* ``static/`` - the page: plain HTML, JavaScript, CSS and SVG shipped with the package.
"""
