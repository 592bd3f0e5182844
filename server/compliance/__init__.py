"""Views across the rule catalogue, the event rules and the deadline engine together.

:mod:`server.rules` (pure event checks and the catalogue) sits below :mod:`server.deadlines`
(which reads the catalogue for its citations); what needs both, such as which catalogue entries
are implemented (:mod:`.coverage`) and the generated ``docs/rules.md`` (:mod:`.docs`), lives
here, above both, so neither has to import the other lazily.
"""
