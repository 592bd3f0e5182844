"""Compliance: everything the regulations ask of an event and of the time after it.

One package with one catalogue (:data:`server.compliance.rules.catalogue.CATALOGUE`), in four
parts, each allowed to import only the parts below it (import-linter checks it):

- :mod:`.docs`: the generated ``docs/rules.md``;
- :mod:`.coverage`: which catalogue entries are enforced, and where;
- :mod:`.deadlines`: the deadline engine (what a rule asks to be done by when, swept and
  stored as notifications), which reads the catalogue for its citations;
- :mod:`.rules`: the pure event rules and the catalogue, with each rule's ID and citations.
"""
