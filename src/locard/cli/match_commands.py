"""``locard matches list|show|decide|report``: review the candidate matches that searches
recorded, from the command line, as the match pages and the API do.

Each command reads a match through the store (:mod:`locard.store.matches`), so the per-locus
comparison and the statistic (``rmp``, :func:`locard.store.statistics.match_rmp`) are the ones
the web page, the API and the PDF show; another lab's specimen shows only its lab and specimen
IDs. A decision needs a note; a decision is final, and a correction names the decision it
supersedes (``--supersedes``).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from locard.cli.common import (
    console,
    esc,
    list_table,
    print_json,
    print_table,
    print_wrapped,
)
from locard.cli.context import open_store, resolve_user
from locard.cli.options import DbOption, JsonOption, PurposeOption, UserOption
from locard.display import format_probability

matches_app = typer.Typer(help="Candidate matches: list, review, decide, report.",
                          no_args_is_help=True)

ID_HELP = "Candidate match ID (see `locard matches list`)."


@matches_app.command("list")
def matches_list(
    status: str | None = typer.Option(None, "--status", help="pending, confirmed or rejected."),
    index: str | None = typer.Option(None, "--index", help="Only matches with a specimen of "
                                     "this index (e.g. forensic, offender)."),
    since: str | None = typer.Option(None, "--since", help="Recorded from this ISO date or "
                                     "time (UTC unless an offset is given)."),
    until: str | None = typer.Option(None, "--until", help="Recorded up to this ISO date (the "
                                     "whole day) or time."),
    db: DbOption = None,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the candidate matches of your lab, oldest first."""
    with open_store(db) as store:
        found = store.list_matches(actor=resolve_user(user), status=status, index=index,
                                   since=since, until=until)
    if as_json:
        print_json({"matches": [m.to_dict() for m in found]})
        return
    table = list_table(f"{len(found)} candidate match(es)")
    for col in ("id", "status", "query", "candidate", "stringency", "loci", "RMP"):
        table.add_column(col, justify="right" if col in ("id", "loci") else "left",
                         overflow="fold")
    for m in found:
        table.add_row(str(m.id), m.status, esc(f"{m.query_lab} {m.query_specimen}"),
                      esc(f"{m.candidate_lab} {m.candidate_specimen}"), m.stringency,
                      str(m.compared_loci), "-" if m.rmp is None else f"{m.rmp:.3g}")
    print_table(table)


@matches_app.command("show")
def matches_show(
    match_id: int = typer.Argument(..., help=ID_HELP),
    db: DbOption = None,
    user: UserOption = None,
    purpose: PurposeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a match: both specimens as you may see them, the per-locus comparison, the
    statistic over the compared loci and the decisions."""
    from locard.store.matches import match_detail

    with open_store(db) as store:
        detail = match_detail(store, match_id, actor=resolve_user(user), purpose=purpose)
    if as_json:
        print_json(detail.to_dict())
        return
    m, q, c = detail.match, detail.query, detail.candidate
    console.print(f"Candidate match {m.id}: {m.status}", markup=False)
    for side, view in (("query", q), ("candidate", c)):
        extra = "" if view.restricted else f", {view.category}, legal basis {view.legal_basis}"
        print_wrapped(f"{side:>9}: {view.lab} {view.specimen_id} ({view.index}{extra})",
                      indent="  ", hang=" " * 11)
    print_wrapped(f"   search: {m.mode}, stringency {m.stringency}, {m.compared_loci} loci "
                  f"compared, {m.mismatches} mismatching", indent="  ", hang=" " * 11)
    st = detail.stats
    per = st["per_locus"] if st else {}
    table = Table(title="Per-locus comparison")
    for col in ("locus", "query", "candidate", "comparison", "probability"):
        table.add_column(col)
    for row in detail.loci:
        p = per.get(row["locus"])
        table.add_row(row["locus"], row["query_text"] or "-", row["candidate_text"] or "-",
                      row["status"], "-" if p is None else f"{p:.3g}")
    console.print(table)
    if st is not None:
        print_wrapped(f"{st['statistic']} over the {len(st['loci'])} compared loci: "
                      f"{format_probability(st['rmp'])}; LR = 1/RMP = {st['lr']:.3g} "
                      f"(theta {st['theta']}, table {st['table']['name']})")
    elif q.restricted or c.restricted:
        console.print("No statistic: one specimen belongs to another lab (only its lab and "
                      "specimen IDs are shown).")
    for d in detail.decisions:
        corr = f", supersedes {d.supersedes}" if d.supersedes is not None else ""
        print_wrapped(f"decision {d.id}: {d.status} by {d.reviewer or '-'} at "
                      f"{d.decided_at[:19]}{corr}: {d.note}", indent="  ")


@matches_app.command("decide")
def matches_decide(
    match_id: int = typer.Argument(..., help=ID_HELP),
    status: str = typer.Option(..., "--status", help="confirmed or rejected."),
    note: str = typer.Option(..., "--note", help="Why (required; kept with the decision)."),
    supersedes: int | None = typer.Option(None, "--supersedes", help="Correct this decision "
                                          "(the latest one's ID, see `locard matches show`)."),
    db: DbOption = None,
    user: UserOption = None,
    purpose: PurposeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Confirm or reject a candidate match (reviewers, administrators). A decision is final;
    a correction names the decision it supersedes."""
    why = purpose or f"match review {match_id}"
    with open_store(db) as store:
        if supersedes is None:
            decided = store.decide_match(match_id, status, actor=resolve_user(user), note=note,
                                         purpose=why)
        else:
            decided = store.correct_match_decision(match_id, status, actor=resolve_user(user),
                                                   note=note, supersedes=supersedes,
                                                   purpose=why)
    if as_json:
        print_json(decided.to_dict())
        return
    console.print(f"Candidate match {decided.id}: {decided.status} (decision "
                  f"{decided.decision_id})", markup=False)


@matches_app.command("report")
def matches_report(
    match_id: int = typer.Argument(..., help=ID_HELP),
    out: str | None = typer.Option(None, "--out", help="PDF file to write (default "
                                   "locard-match-ID.pdf)."),
    db: DbOption = None,
    user: UserOption = None,
    purpose: PurposeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the PDF report of a confirmed match (the one the web page offers)."""
    from locard.service.reports import match_report_pdf  # reportlab only, not the web stack
    from locard.store.matches import report_detail

    path = Path(out or f"locard-match-{match_id}.pdf")
    actor = resolve_user(user)
    with open_store(db) as store:
        detail = report_detail(store, match_id, actor=actor, purpose=purpose)
    pdf = match_report_pdf(detail, reviewer=actor)
    path.write_bytes(pdf)
    if as_json:
        print_json({"match": match_id, "path": str(path), "bytes": len(pdf)})
    else:
        console.print(f"Report of candidate match {match_id} written to {path}", markup=False)
