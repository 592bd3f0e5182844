"""``seedtrace rules``: the regulatory rule catalogue, per jurisdiction."""

from typing import Annotated, cast

import typer

rules_app = typer.Typer(
    help="The regulatory rules: IDs, citations, packs, deadlines, implemented or not.",
    no_args_is_help=True,
)


@rules_app.command("list")
def list_rules(
    jurisdiction: Annotated[
        str | None,
        typer.Option("--jurisdiction", "-j", help="Only this jurisdiction's pack: OR, CA or CT."),
    ] = None,
) -> None:
    """Print the rule table: ID, section, the packs holding it (cited by the state's text, or as
    the record-soundness baseline), implemented or not, citation (with --jurisdiction: that
    state's own provisions only), deadline."""
    # Imported here so `seedtrace --help` works on a station without the server extras.
    from server.compliance.coverage import implemented
    from server.compliance.docs import applies_in
    from server.compliance.rules.calendar import JURISDICTIONS, Jurisdiction
    from server.compliance.rules.catalogue import ENTRIES, pack

    entries = list(ENTRIES)
    wanted: Jurisdiction = "OR"
    if jurisdiction is not None:
        if jurisdiction.upper() not in JURISDICTIONS:
            raise typer.BadParameter(
                f"{jurisdiction!r}; expected one of {', '.join(JURISDICTIONS)}",
                param_hint="--jurisdiction",
            )
        wanted = cast(Jurisdiction, jurisdiction.upper())
        ids = pack(wanted)
        entries = [e for e in entries if e.id in ids]
    rows = [("ID", "sec", "applies in", "impl", "citation", "deadline, or where it is enforced")]
    rows += [
        (
            e.id,
            e.section,
            applies_in(e),
            "yes" if implemented(e) else "no",
            e.citation if jurisdiction is None else e.cite(wanted),
            e.deadline.describe() if e.deadline else (e.enforced_where or ""),
        )
        for e in entries
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        line = "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[-1]
        typer.echo(line.rstrip())
    typer.echo(f"{len(entries)} rules, {sum(implemented(e) for e in entries)} implemented")
