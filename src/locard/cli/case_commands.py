"""``locard case``: missing-person cases kept in the database (``add``, ``list``, ``show``,
``remove``); ``locard identify --case CASE_REF`` ranks the remains against one.

A case file is the pedigree JSON of ``locard kinship pedigree`` in which each typed relative
names a stored reference of the relatives index (``"specimen": "REL-0001"``) instead of an
inline profile; a PED file (``id father mother sex``) takes ``--missing`` and
``--member ID=SPECIMEN`` instead. See ``docs/kinship.md``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from locard.cli.common import console, naming_file, print_json, print_table
from locard.cli.context import open_store, resolve_user
from locard.cli.options import DbOption, JsonOption, PurposeOption, UserOption
from locard.errors import InputError

if TYPE_CHECKING:
    from locard.stats.kinship import Pedigree

case_app = typer.Typer(help="Missing-person cases: a reference pedigree typed from the "
                            "relatives index.", no_args_is_help=True)


def _members(options: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for option in options:
        member, sep, specimen = option.partition("=")
        if not sep or not member.strip() or not specimen.strip():
            raise InputError(f"--member {option!r}: expected ID=SPECIMEN (e.g. FA=REL-0001)")
        out[member.strip()] = specimen.strip()
    return out


def read_case_file(path: str, *, missing: str | None = None,
                   members: list[str] | None = None) -> tuple[Pedigree, dict[str, str]]:
    """The untyped pedigree and ``{member: specimen ID}`` of a case file (JSON with
    'specimen' links, or PED with ``--missing`` and ``--member``); errors name the file."""
    from locard.stats.kinship import Pedigree
    from locard.store.cases import parse_case_pedigree

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the case file ({exc.strerror})") from exc
    extra = _members(members or [])
    with naming_file(path):
        if text.lstrip().startswith("{"):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON ({exc.msg}, line {exc.lineno})") from exc
            if missing is not None and isinstance(data, dict):
                data = {**data, "missing": missing}
            pedigree, linked = parse_case_pedigree(data)
        else:
            if missing is None:
                raise InputError("a PED file needs --missing ID (the missing person)")
            pedigree, linked = Pedigree.from_ped_lines(text.splitlines(), missing=missing), {}
    return pedigree, {**linked, **extra}


@case_app.command("add")
def case_add(
    case_ref: str = typer.Argument(..., metavar="CASE_REF", help="The case reference."),
    pedigree_file: str = typer.Option(
        ..., "--pedigree", help='Case file: JSON {"individuals": [{"id", "father", "mother", '
        '"sex", "specimen"?}], "missing": id}, or a PED file (id father mother sex).'),
    missing: str | None = typer.Option(None, "--missing", help="The missing person's id "
                                       "(required for a PED file)."),
    member: list[str] | None = typer.Option(None, "--member", metavar="ID=SPECIMEN",
                                            help="Link a member to a stored relative's "
                                                 "reference (repeatable)."),
    db: DbOption = None,
    user: UserOption = None,
    purpose: PurposeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a missing-person case: the pedigree and links to the relatives' references."""
    from locard.store.cases import add_case

    pedigree, members = read_case_file(pedigree_file, missing=missing, members=member)
    with open_store(db) as store:
        case = add_case(store, case_ref, pedigree, members, actor=resolve_user(user),
                        purpose=purpose)
    if as_json:
        print_json(case.to_dict())
        return
    console.print(f"Case {case.case_ref!r}: missing {case.missing!r}, "
                  f"{len(case.pedigree.individuals)} individuals, typed: "
                  f"{', '.join(f'{m}={s}' for m, s in sorted(case.members.items()))}")


@case_app.command("list")
def case_list(
    db: DbOption = None,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Your lab's missing-person cases."""
    from locard.store.cases import list_cases

    with open_store(db) as store:
        cases = list_cases(store, actor=resolve_user(user))
    if as_json:
        print_json({"cases": [c.to_dict() for c in cases]})
        return
    out = Table(title=f"{len(cases)} missing-person case(s)")
    for col in ("case", "missing", "individuals", "typed", "created"):
        out.add_column(col)
    for c in cases:
        out.add_row(c.case_ref, c.missing, str(c.individuals), str(c.typed),
                    c.created_at[:16].replace("T", " "))  # to the minute, UTC
    print_table(out)


@case_app.command("show")
def case_show(
    case_ref: str = typer.Argument(..., metavar="CASE_REF", help="The case reference."),
    db: DbOption = None,
    user: UserOption = None,
    purpose: PurposeOption = None,
    as_json: JsonOption = False,
) -> None:
    """One case: the pedigree, which members are typed and by which reference."""
    from locard.store.cases import get_case

    with open_store(db) as store:
        case = get_case(store, case_ref, actor=resolve_user(user), purpose=purpose)
    data = case.to_dict()
    if as_json:
        print_json(data)
        return
    out = Table(title=f"Case {case.case_ref!r} (lab {case.lab}), missing person "
                      f"{case.missing!r}")
    for col in ("id", "father", "mother", "sex", "reference"):
        out.add_column(col)
    for person in data["individuals"]:
        ref = person.get("specimen") or ("missing" if person["id"] == case.missing else "")
        out.add_row(person["id"], person["father"] or "", person["mother"] or "",
                    person["sex"], ref)
    print_table(out)


@case_app.command("remove")
def case_remove(
    case_ref: str = typer.Argument(..., metavar="CASE_REF", help="The case reference."),
    reason: str = typer.Option(..., "--reason", help="Why (identified, closed, ...)."),
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Delete a case (the relatives' references stay; expunge them separately)."""
    from locard.store.cases import remove_case

    with open_store(db) as store:
        remove_case(store, case_ref, actor=resolve_user(user), reason=reason)
    console.print(f"Case {case_ref!r} removed.")
