"""The ``seedtrace`` command line: one entry point for every role (server, station, technician).

Subcommands import their heavy dependencies only when run, so a station without the server
extra can still use ``seedtrace edge`` and ``seedtrace devices``.
"""
