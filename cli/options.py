"""Options several commands share, declared once: a frozen dataclass whose fields are typer
options (``Annotated`` types, defaults), added to each command by :func:`with_options`.

Typer has no option groups; it reads a command's options from its signature. The decorator
gives the command a signature with the group's fields after its own parameters, and calls it
with them gathered into one instance of the dataclass.
"""

import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import Any, get_type_hints

__all__ = ["with_options"]

Command = Callable[..., None]


def with_options(group: type[Any], name: str) -> Callable[[Command], Command]:
    """A decorator: the command takes ``group``'s fields as options (after its own), and is
    called with them as one ``group`` instance, keyword ``name``. ``group`` must be a
    dataclass whose every field has a default (typer needs one for an option)."""
    hints = get_type_hints(group, include_extras=True)
    fields = dataclasses.fields(group)
    keyword = inspect.Parameter.KEYWORD_ONLY
    added = [
        inspect.Parameter(f.name, keyword, annotation=hints[f.name], default=f.default)
        for f in fields
    ]

    def decorate(command: Command) -> Command:
        own = [p for p in inspect.signature(command).parameters.values() if p.name != name]

        @functools.wraps(command)
        def run(**given: Any) -> None:
            shared = group(**{f.name: given.pop(f.name) for f in fields})
            command(**given, **{name: shared})

        # Typer reads the options from the signature; inspect.signature honours __signature__.
        run.__signature__ = inspect.Signature([*own, *added])  # type: ignore[attr-defined]
        return run

    return decorate
