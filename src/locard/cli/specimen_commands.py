"""``locard specimens list`` and ``locard specimens count``: the lab's specimens, filtered.

Both act on the user's own lab and are audited (see :mod:`locard.store.specimens`).
"""

from __future__ import annotations

import typer

from locard.cli.common import console, esc, list_table, print_json, print_table
from locard.cli.context import open_store, resolve_user
from locard.cli.options import DbOption, JsonOption, PurposeOption, UserOption

specimens_app = typer.Typer(help="List and count your lab's specimens.", no_args_is_help=True)

INDEX_HELP = "Only this index (offender, forensic, relative, ...)."
CATEGORY_HELP = "Only this specimen category (CODIS name, e.g. 'Forensic Unknown')."
LOCAL_HELP = ("--local-only: only profiles kept local (never searched nationally); "
              "--not-local-only: only the others (default: both).")
SINCE_HELP = "Stored from this ISO date or time (UTC unless an offset is given)."
UNTIL_HELP = "Stored up to this ISO date (the whole day) or time."


@specimens_app.command("list")
def specimens_list(
    index: str | None = typer.Option(None, "--index", help=INDEX_HELP),
    category: str | None = typer.Option(None, "--category", help=CATEGORY_HELP),
    local_only: bool | None = typer.Option(None, "--local-only/--not-local-only",
                                           help=LOCAL_HELP, show_default=False),
    since: str | None = typer.Option(None, "--since", help=SINCE_HELP),
    until: str | None = typer.Option(None, "--until", help=UNTIL_HELP),
    limit: int = typer.Option(100, "--limit", help="Most specimens on one page (1-10000)."),
    after: int | None = typer.Option(None, "--after", help="Page on: the key after which to "
                                     "start (the 'next page' key the previous page printed)."),
    db: DbOption = None,
    user: UserOption = None,
    purpose: PurposeOption = None,
    as_json: JsonOption = False,
) -> None:
    """List your lab's specimens (no genotypes), a page at a time, oldest first."""
    from locard.store.specimens import list_specimens

    with open_store(db) as store:
        page = list_specimens(store, actor=resolve_user(user), index=index, category=category,
                              local_only=local_only, since=since, until=until, limit=limit,
                              after=after, purpose=purpose)
    if as_json:
        print_json(page.to_dict())
        return
    table = list_table(f"{len(page.specimens)} of {page.total} specimen(s) of lab "
                       f"{esc(page.lab)}")
    for col in ("key", "specimen", "index", "category", "basis", "local", "stored"):
        table.add_column(col, overflow="fold")
    for s in page.specimens:
        table.add_row(str(s.key), esc(s.specimen_id), s.index, esc(s.category), s.legal_basis,
                      "yes" if s.local_only else "", s.created_at[:10])
    print_table(table)
    if page.next_after is not None:
        console.print(f"next page: --after {page.next_after}", markup=False)


@specimens_app.command("count")
def specimens_count(
    index: str | None = typer.Option(None, "--index", help=INDEX_HELP),
    category: str | None = typer.Option(None, "--category", help=CATEGORY_HELP),
    local_only: bool | None = typer.Option(None, "--local-only/--not-local-only",
                                           help=LOCAL_HELP, show_default=False),
    since: str | None = typer.Option(None, "--since", help=SINCE_HELP),
    until: str | None = typer.Option(None, "--until", help=UNTIL_HELP),
    db: DbOption = None,
    user: UserOption = None,
    purpose: PurposeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Count your lab's specimens per index, with the same filters as `specimens list`."""
    from locard.store.specimens import count_specimens

    with open_store(db) as store:
        counts = count_specimens(store, actor=resolve_user(user), index=index, category=category,
                                 local_only=local_only, since=since, until=until,
                                 purpose=purpose)
    total = sum(counts.values())
    if as_json:
        print_json({"total": total, "by_index": counts})
        return
    for name, n in counts.items():
        console.print(f"{name}: {n}", markup=False)
    console.print(f"total: {total}", markup=False)
