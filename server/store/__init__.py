"""The event store: log appends, projections, the state view rules read, and rebuild."""
