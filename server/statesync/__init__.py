"""The state systems seedtrace files into: clients behind Protocols, and their simulators.

A state system is treated like a device: a client (the driver) satisfies a ``typing.Protocol``
and a simulator beside it speaks the same API over real loopback HTTP, with fault knobs.

- Metrc (Oregon, California): :mod:`metrc_client` (``MetrcApi``), :mod:`metrc_models`;
  simulator :mod:`metrc_sim`, :mod:`metrc_writes`, :mod:`metrc_rows`.
- BioTrack (Connecticut): :mod:`biotrack_client` (``BioTrackApi``); simulator
  :mod:`biotrack_sim`.
- Shared: :mod:`errors` (the exception tree), :mod:`httpcall` (transport errors translated),
  :mod:`faults` (the knobs), :mod:`simhttp` (loopback server), :mod:`simstore` (a simulator's
  SQLite), :mod:`simulators` (ready-to-run simulators), :mod:`wire` (JSON).

The connector that sends our events through these clients is not built yet (docs/sync.md).
"""
