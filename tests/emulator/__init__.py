"""A stateful SEPM REST API emulator for the collection's integration tests and benchmarks.

Run it with ``python -m tests.emulator --help`` from the repository root. Nothing under
``plugins/`` imports this package: it stands in for the real server only.
"""
