"""Station health: what each station last said on its status topic.

:mod:`server.health.listener` subscribes to ``seedtrace/v1/+/+/status`` and hands each valid
:class:`~schemas.status.StationStatus` to :func:`server.health.store.record`; the ops console
reads the table with :func:`server.health.store.latest`.
"""
