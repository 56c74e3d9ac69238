"""The database commands: ``locard init``, ``import``, ``export``, ``specimen``, ``expunge``,
``consent``, ``retention``, ``audit``, ``policy``, ``user`` and ``db``.

Every command takes ``--db URL`` (else ``$LOCARD_DB``, else ``./locard.db``) and acts as a named
local user (``--user NAME``, else ``$LOCARD_USER``, else the OS user); ``--json`` where a
machine might read the output.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from locard.cli.common import (
    console,
    err_console,
    esc,
    print_json,
    print_wrapped,
    progress,
    write_rejects,
)
from locard.cli.context import open_store, resolve_user
from locard.cli.options import DbOption, JsonOption, PolicyOption, PurposeOption, UserOption

if TYPE_CHECKING:
    from locard.store import ImportReport

#: the lab code of `locard init` when none is given and there is no terminal to ask on
DEFAULT_LAB = "LOCAL"

#: this module's top-level commands (cli/app.py adds them to `locard`)
commands = typer.Typer()

specimen_app = typer.Typer(help="Specimens in the database.", no_args_is_help=True)
consent_app = typer.Typer(help="Consent records.", no_args_is_help=True)
retention_app = typer.Typer(help="Retention periods.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
policy_app = typer.Typer(help="The database policy.", no_args_is_help=True)
user_app = typer.Typer(help="Users, roles and API tokens.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


@commands.command("init")
def init_command(
    db: DbOption = None,
    user: str | None = typer.Option(None, "--user", help="First administrator (default: "
                                    "$LOCARD_USER or the OS user)."),
    lab: str | None = typer.Option(None, "--lab", help="The administrator's lab (ORI-like "
                                   "code, e.g. NY0030000): asked for on a terminal, else "
                                   f"{DEFAULT_LAB}."),
    policy: PolicyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a Locard database (or bring an old one up to date) and its first administrator
    in its lab (the lab code every import, search and export acts for)."""
    from locard.store import Store

    if lab is None:
        lab = (typer.prompt("Lab code (ORI-like, e.g. NY0030000)", default=DEFAULT_LAB)
               if not as_json and sys.stdin.isatty() else DEFAULT_LAB)
    store = Store.init(db, admin=resolve_user(user), lab=lab, policy=policy)
    try:
        admin = store.user(resolve_user(user))
        info = {"database": store.db.display_url, "schema_version": store.schema_version(),
                "policy": store.policy.name, "administrator": admin.name, "lab": admin.lab}
    finally:
        store.close()
    if as_json:
        print_json(info)
        return
    console.print(f"Locard database ready: {info['database']} (schema {info['schema_version']}, "
                  f"policy {info['policy']})", markup=False)
    console.print(f"Lab: {info['lab']} (administrator {info['administrator']}); imports, "
                  "searches and exports act for this lab", markup=False)


@commands.command("import")
def import_command(
    file: str = typer.Argument(..., help="Profile file: CMF, GeneMapper, CSV or JSON."),
    format: str | None = typer.Option(None, "--format", help="cmf, genemapper, csv or json "
                                      "(default: detected)."),
    category: str | None = typer.Option(None, "--category", help="Specimen category for every "
                                        "record (CODIS name, e.g. 'Convicted Offender')."),
    legal_basis: str | None = typer.Option(None, "--legal-basis", help="conviction, arrest, "
                                           "court-order, casework or consent."),
    consent: str | None = typer.Option(None, "--consent", help="Consent record reference."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Import the good records "
                                      "and report the bad ones (default: all or nothing)."),
    rejects: str | None = typer.Option(None, "--rejects", help="Write every rejected record "
                                       "to this CSV file (file, record, specimen, locus, "
                                       "value, rule, message), also when nothing is imported; "
                                       "alleles flagged but stored (rule 'ladder-range "
                                       "(flagged, stored)') and skipped controls (rule "
                                       "'control (skipped)') get rows too."),
    allow_expunged: bool = typer.Option(False, "--allow-expunged", help="Re-import expunged "
                                        "specimen IDs on an explicit new --legal-basis."),
    consent_file: str | None = typer.Option(None, "--consent-file", help="CSV of specimen ID "
                                            "and consent reference, for records that need "
                                            "consent (a CSV profile file may carry a "
                                            "'consent' column instead)."),
    received_from: str | None = typer.Option(None, "--received-from", help="Records received "
                                             "from this lab (their source lab): filed under "
                                             "your lab, the source lab kept as provenance; "
                                             "audited."),
    kit: str | None = typer.Option(None, "--kit", help="The kit that typed the records, "
                                   "where the file names none (see `locard kits`): recorded, "
                                   "and alleles are checked against its ladder."),
    allow_off_ladder: bool = typer.Option(False, "--allow-off-ladder", help="Store records "
                                          "with alleles outside the kit's ladder range (each "
                                          "one is flagged in the report) instead of refusing "
                                          "them."),
    db: DbOption = None,
    user: UserOption = None,
    purpose: PurposeOption = None,
    policy: PolicyOption = None,
    search_on_entry: bool = typer.Option(
        True, "--search-on-entry/--no-search-on-entry",
        help="Search new profiles against the indices the policy allows and record hits as "
             "candidate matches for review (default on; the policy file can turn it off)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check everything but store "
                                 "nothing: report what would be imported and rejected."),
    as_json: JsonOption = False,
) -> None:
    """Import a profile file, all or nothing unless --skip-invalid. Without --legal-basis each
    record gets its category's default legal basis (see `locard policy show`). Lists the
    candidate matches that search on entry created; exits non-zero when nothing was
    imported."""
    from locard.formats.consents import read_consent_file

    consents = read_consent_file(consent_file) if consent_file is not None else None
    with open_store(db, policy) as store, progress() as tick, _rejects_on_failure(rejects):
        store.on_progress = tick
        from locard.store.searching import enable_search_on_entry

        enable_search_on_entry(store, actor=resolve_user(user), purpose=purpose,
                               enabled=None if search_on_entry else False)
        report = store.import_file(file, format=format, category=category,
                                   legal_basis=legal_basis, consent=consent,
                                   skip_invalid=skip_invalid, allow_expunged=allow_expunged,
                                   actor=resolve_user(user), purpose=purpose, dry_run=dry_run,
                                   received_from=received_from, consents=consents,
                                   kit=kit, allow_off_ladder=allow_off_ladder)
    if dry_run:
        _show_dry_run(report, file, rejects=rejects, as_json=as_json)
        return
    _show_import(report, file, rejects=rejects, as_json=as_json)


#: rejected records shown on the terminal; the rest go to the --rejects file
SHOWN_PROBLEMS = 5
#: candidate matches listed after an import; the rest: `locard matches list`
SHOWN_MATCHES = 50


@contextmanager
def _rejects_on_failure(rejects: str | None) -> Iterator[None]:
    """An all-or-nothing import that failed still writes its reject file."""
    from locard.errors import ImportFailed

    try:
        yield
    except ImportFailed as exc:
        if rejects is not None:
            records = exc.records if exc.records is not None else [
                {"file": exc.path, "message": m} for m in exc.problems]
            write_rejects(rejects, records)
            err_console.print(f"{len(records)} rejected record(s) written to {rejects}",
                              markup=False, soft_wrap=True)
        raise


#: the --rejects file's rule for an allele outside the kit's ladder that was stored, flagged
FLAGGED_RULE = "ladder-range (flagged, stored)"
#: ... and in a dry run, where nothing is stored
FLAGGED_DRY_RULE = "ladder-range (flagged, would be stored)"
#: the --rejects file's rule for a record skipped as a control or ladder
CONTROL_RULE = "control (skipped)"


def _reject_rows(report: ImportReport) -> list[dict[str, object]]:
    """The rows of the --rejects file: every rejected record (its rule), then every allele
    outside the kit's ladder in a record stored all the same (:data:`FLAGGED_RULE`; in a dry
    run :data:`FLAGGED_DRY_RULE`), then every record skipped as a control or ladder
    (:data:`CONTROL_RULE`). One file, told apart by the ``rule`` column."""
    flagged = FLAGGED_DRY_RULE if report.dry_run else FLAGGED_RULE
    return [*(p.to_dict() for p in report.problems),
            *({**p.to_dict(), "rule": flagged} for p in report.flagged),
            *({"file": report.path, "specimen": name, "rule": CONTROL_RULE,
               "message": "a control or ladder (the policy's [controls] patterns): never "
                          "stored"} for name in report.controls)]


def _show_door(report: ImportReport, *, rejects: str | None) -> None:
    """The controls an import skipped and the alleles it flagged (outside the kit's ladder,
    stored all the same), the first few of each; in a dry run, what it would do."""
    would = report.dry_run
    if report.controls:
        console.print(f"{len(report.controls)} control(s) and ladder(s) "
                      f"{'would be skipped' if would else 'skipped'}, not stored: "
                      + ", ".join(report.controls[:SHOWN_PROBLEMS])
                      + (" ..." if len(report.controls) > SHOWN_PROBLEMS else ""),
                      markup=False, soft_wrap=True)
    for flag in report.flagged[:SHOWN_PROBLEMS]:
        console.print(f"  {'would flag' if would else 'flagged'}: {flag}", markup=False,
                      soft_wrap=True)
    if len(report.flagged) > SHOWN_PROBLEMS:
        where = f"in {rejects}" if rejects is not None else "with --rejects FILE or --json"
        console.print(f"  ... and {len(report.flagged) - SHOWN_PROBLEMS} more flagged "
                      f"allele(s) (all of them {where})", markup=False, soft_wrap=True)


def _show_import(report: ImportReport, file: str, *, rejects: str | None,
                 as_json: bool) -> None:
    """The import's summary: counts per index, the first rejected records (all of them in the
    --rejects file), the candidate matches created; exit 1 when nothing was imported."""
    if rejects is not None:
        write_rejects(rejects, _reject_rows(report))
    if as_json:
        print_json({**report.to_dict(), "rejects_file": rejects})
    else:
        table = Table(title=f"Imported {report.imported} profile(s) from {esc(Path(file).name)}")
        table.add_column("index")
        table.add_column("accepted", justify="right")
        table.add_column("rejected", justify="right")
        for idx in sorted(set(report.accepted) | set(report.rejected)):
            table.add_row(idx, str(report.accepted.get(idx, 0)),
                          str(report.rejected.get(idx, 0)))
        console.print(table)
        if report.local_only:
            console.print(f"{report.local_only} profile(s) kept local (not searched nationally)")
        _show_door(report, rejects=rejects)
        for prob in report.problems[:SHOWN_PROBLEMS]:
            console.print(f"  rejected: {prob}", markup=False, soft_wrap=True)
        more = len(report.problems) - SHOWN_PROBLEMS
        if report.problems and rejects is not None:
            console.print(f"  all {len(report.problems)} rejected record(s) are in {rejects}",
                          markup=False, soft_wrap=True)
        elif more > 0:
            console.print(f"  ... and {more} more (write them all with --rejects FILE)",
                          soft_wrap=True)
        console.print(f"Candidate matches created by search on entry: {len(report.matches)}")
        for m in report.matches[:SHOWN_MATCHES]:
            console.print(f"  match {m.id}: {m.query_lab} {m.query_specimen} -> "
                          f"{m.candidate_lab} {m.candidate_specimen} ({m.stringency}, "
                          f"{m.compared_loci} loci)", markup=False, soft_wrap=True)
        if len(report.matches) > SHOWN_MATCHES:
            console.print(f"  ... and {len(report.matches) - SHOWN_MATCHES} more: "
                          "locard matches list --status pending")
        elif report.matches:
            console.print("  review them with: locard matches show ID")
        console.print(f"{report.imported} imported, {len(report.problems)} rejected, "
                      f"{len(report.matches)} candidate match(es) created in "
                      f"{report.seconds:.1f} s")
    if report.imported == 0:
        if not as_json:
            err_console.print(f"locard: error: nothing imported from {file} "
                              f"({len(report.problems)} rejected record(s))", markup=False,
                              soft_wrap=True)
        raise typer.Exit(1)


@commands.command("export")
def export_command(
    out: str = typer.Option(..., "--out", help="Output file."),
    format: str = typer.Option("cmf", "--format", help="cmf, csv, json or jsonl."),
    index: str | None = typer.Option(None, "--index", help="Only this index."),
    exclude_local_only: bool = typer.Option(
        False, "--exclude-local-only", help="Leave out the profiles kept local (never searched "
        "nationally), e.g. for a national submission; otherwise CSV and JSON mark them "
        "(localOnly column, \"local_only\": true)."),
    db: DbOption = None,
    user: UserOption = None,
    purpose: PurposeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export the user's lab's specimens. What the format cannot carry (in CMF: a locus without
    a CODIS name) is left out and listed, never silently."""
    with open_store(db) as store, progress() as tick:
        store.on_progress = tick
        report = store.export(out, format=format, index=index, actor=resolve_user(user),
                              purpose=purpose, exclude_local_only=exclude_local_only)
    if as_json:
        print_json({**report.to_dict(), "path": str(out)})
    else:
        console.print(f"Exported {report.count} specimen(s) to {out}", markup=False)
        if report.local_only:
            console.print(f"  {report.local_only} of them kept local (marked)", markup=False)
        if report.excluded_local_only:
            console.print(f"  {report.excluded_local_only} local-only profile(s) left out "
                          "(--exclude-local-only)", markup=False)
        for item in report.skipped:
            console.print(f"  {item}", markup=False)
        for item in report.left_out:
            console.print(f"  {item}", markup=False)


@specimen_app.command("show")
def specimen_show(
    specimen_id: str = typer.Argument(..., help="Specimen ID."),
    lab: str | None = typer.Option(None, "--lab", help="The specimen's lab (default: yours)."),
    db: DbOption = None,
    user: UserOption = None,
    purpose: PurposeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one specimen (another lab's shows only its lab and specimen IDs)."""
    with open_store(db) as store:
        view = store.get_specimen(specimen_id, lab=lab, actor=resolve_user(user), purpose=purpose)
    data = view.to_dict()
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        if key != "profile":
            console.print(f"{key:>16}: {value}")
    if view.profile is not None:
        console.print(f"{'profile':>16}: {view.profile}")


def _show_dry_run(report: ImportReport, file: str, *, rejects: str | None,
                  as_json: bool) -> None:
    """What an import would do (``import --dry-run``); exit 1 when it would store nothing."""
    if rejects is not None:
        write_rejects(rejects, _reject_rows(report))
    if as_json:
        print_json({**report.to_dict(), "rejects_file": rejects})
    else:
        console.print(f"Dry run of {Path(file).name}: nothing was stored", markup=False)
        for idx in sorted(set(report.accepted) | set(report.rejected)):
            console.print(f"  {idx}: {report.accepted.get(idx, 0)} accepted, "
                          f"{report.rejected.get(idx, 0)} rejected", markup=False)
        _show_door(report, rejects=rejects)
        for prob in report.problems[:SHOWN_PROBLEMS]:
            console.print(f"  would reject: {prob}", markup=False)
        if len(report.problems) > SHOWN_PROBLEMS:
            console.print(f"  ... and {len(report.problems) - SHOWN_PROBLEMS} more "
                          "(write them all with --rejects FILE)", markup=False)
        would = report.would_import or 0
        if report.problems and would == 0 and report.imported:
            console.print(f"Would import 0: the import is all or nothing; --skip-invalid "
                          f"would import the {report.imported} good record(s)", markup=False)
        else:
            console.print(f"Would import {would}, reject {len(report.problems)}", markup=False)
    if not report.would_import:
        raise typer.Exit(1)


def _confirm_expunge(specimen_id: str, lab: str | None) -> None:
    """Ask on the terminal before an expungement; without one (a script, a pipe) refuse, since
    nothing could be undone."""
    import sys

    from locard.errors import InputError

    what = f"specimen {specimen_id!r}" + (f" of lab {lab!r}" if lab else "")
    if not sys.stdin.isatty():
        raise InputError(f"expunging {what} deletes its genotype for good, and there is no "
                         "terminal to confirm it on", remedy="add --yes to confirm")
    if not typer.confirm(f"Expunge {what}? Its genotype is deleted for good", default=False):
        raise typer.Abort()


def _confirm_withdraw(consent: str, lab: str | None) -> None:
    """Ask on the terminal before a consent withdrawal (it expunges every specimen stored
    under the consent); without one refuse, as :func:`_confirm_expunge` does."""
    import sys

    from locard.errors import InputError

    what = f"consent {consent!r}" + (f" of lab {lab!r}" if lab else "")
    if not sys.stdin.isatty():
        raise InputError(f"withdrawing {what} expunges every specimen stored under it (their "
                         "genotypes are deleted for good), and there is no terminal to confirm "
                         "it on", remedy="add --yes to confirm")
    if not typer.confirm(f"Withdraw {what}? Every specimen stored under it is expunged, its "
                         "genotype deleted for good", default=False):
        raise typer.Abort()


@commands.command("expunge")
def expunge_command(
    specimen_id: str = typer.Argument(..., help="Specimen ID."),
    reason: str = typer.Option(..., "--reason", help="Why (e.g. the court order)."),
    lab: str | None = typer.Option(None, "--lab", help="The specimen's lab (default: yours)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (needed "
                             "when no terminal can ask, as in scripts)."),
    db: DbOption = None,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Expunge a specimen for real: genotype deleted, only a tombstone remains. Asks for
    confirmation unless --yes."""
    if not yes:
        _confirm_expunge(specimen_id, lab)
    with open_store(db) as store:
        ref = store.expunge(specimen_id, reason=reason, lab=lab, actor=resolve_user(user))
    if as_json:
        print_json({"expunged": True, "tombstone": ref})
    else:
        console.print(f"Expunged; tombstone {ref[:16]}...")


@consent_app.command("withdraw")
def consent_withdraw(
    consent: str = typer.Argument(..., help="Consent record reference."),
    lab: str | None = typer.Option(None, "--lab", help="The consent's lab (default: yours)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (needed "
                             "when no terminal can ask, as in scripts)."),
    db: DbOption = None,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Withdraw a consent: every specimen stored under it is expunged. Asks for confirmation
    unless --yes."""
    if not yes:
        _confirm_withdraw(consent, lab)
    with open_store(db) as store:
        n = store.withdraw_consent(consent, lab=lab, actor=resolve_user(user))
    if as_json:
        print_json({"consent": consent, "expunged": n})
    else:
        console.print(f"Consent {consent} withdrawn; {n} specimen(s) expunged")


@retention_app.command("apply")
def retention_apply(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would be expunged."),
    db: DbOption = None,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Expunge every specimen past its retention date."""
    with open_store(db) as store:
        rows = store.apply_retention(actor=resolve_user(user), dry_run=dry_run)
    if as_json:
        print_json({"dry_run": dry_run, "specimens": rows})
        return
    verb = "would expunge" if dry_run else "expunged"
    console.print(f"Retention: {verb} {len(rows)} specimen(s)")
    for r in rows:
        console.print(f"  {r['lab']} {r['specimen_id']} ({r['index']}, until "
                      f"{r['retention_until']})")


@audit_app.command("log")
def audit_log(
    limit: int | None = typer.Option(None, "--limit", help="Only the last N entries."),
    action: str | None = typer.Option(None, "--action", help="Only this action."),
    by: str | None = typer.Option(None, "--by", help="Only this user's entries."),
    since: str | None = typer.Option(None, "--since", help="From this ISO date or time "
                                     "(UTC unless an offset is given)."),
    until: str | None = typer.Option(None, "--until", help="Up to this ISO date (the whole "
                                     "day) or time."),
    before: int | None = typer.Option(None, "--before", help="Only entries older than this "
                                      "seq (page back with the first seq shown)."),
    db: DbOption = None,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show your lab's audit log (auditors, administrators)."""
    with open_store(db) as store:
        entries = store.audit_entries(actor=resolve_user(user), limit=limit, action=action, user=by,
                                      since=since, until=until, before_seq=before)
    if as_json:
        print_json([e.to_dict() for e in entries])
        return
    # one entry per paragraph, not a table: its details (any length) wrap beneath it, so the
    # log reads at 80 columns and nothing is cut short
    console.print(f"Audit log: {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}",
                  style="italic")
    for e in entries:
        who = f"{e.user or '-'} ({', '.join(x for x in (e.role, e.lab) if x) or '-'})"
        purpose = f" [purpose {e.purpose}]" if e.purpose else ""
        print_wrapped(f"#{e.seq} {e.at[:19].replace('T', ' ')} {who} {e.action}{purpose}",
                      hang="  ")
        details = ", ".join(f"{k}={v}" for k, v in e.details.items())
        if details:
            print_wrapped(details, indent="    ", hang="  ")


@audit_app.command("verify")
def audit_verify(
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Verify the audit hash chain; fails naming the first bad entry."""
    with open_store(db) as store:
        n = store.verify_audit()
    if as_json:
        print_json({"verified": True, "entries": n})
    else:
        console.print(f"Audit log intact: {n} entries verified")


@policy_app.command("show")
def policy_show(
    policy: PolicyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print the effective policy: rules, legal bases, retention, search matrix."""
    from locard.store import load_policy

    pol = load_policy(policy)
    data = pol.to_dict()
    if as_json:
        print_json(data)
        return
    # laid out for an 80-column terminal: short tables, long text as indented lines
    console.print(f"Policy: {esc(pol.name)}", markup=False)
    console.print(f"  file: {pol.source}", markup=False)
    console.print(f"  sha256: {pol.sha256}", markup=False)
    print_wrapped(f"RMP (match statistic): theta {pol.theta}, most conservative of "
                  f"{', '.join(pol.rarity_tables)}")
    table = Table(title="Indices")
    for col in ("index", "legal bases", "consent", "local", "retention"):
        table.add_column(col, overflow="fold")
    for name, ip in data["indices"].items():
        table.add_row(name, ", ".join(ip["legal_bases"]),
                      "required" if ip["consent_required"] else "",
                      "yes" if ip["local_only"] else "",
                      f"{ip['retention_years']} y" if ip["retention_years"] else "until expunged")
    console.print(table)
    console.print("Acceptance rules", style="italic")
    for name, ip in data["indices"].items():
        console.print(f"{name}:", markup=False)
        for r in ip["rules"]:
            print_wrapped(f"{r['name']}: {r['rule']}", indent="  ")
    matrix = Table(title="Search policy matrix (query -> targets)")
    for col in ("query index", "direct", "kinship"):
        matrix.add_column(col, overflow="fold")
    queries = list(dict.fromkeys([*data["search"]["direct"], *data["search"]["kinship"]]))
    for q in queries:
        matrix.add_row(q, ", ".join(data["search"]["direct"].get(q, [])),
                       ", ".join(data["search"]["kinship"].get(q, [])))
    console.print(matrix)


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="User name (a login, not a data subject)."),
    role: str = typer.Option(..., "--role", help="analyst, reviewer, administrator or auditor."),
    lab: str | None = typer.Option(None, "--lab", help="Lab (default: the administrator's)."),
    db: DbOption = None,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a user (administrators only)."""
    with open_store(db) as store:
        added = store.add_user(name, role=role, lab=lab, actor=resolve_user(user))
    if as_json:
        print_json(added.to_dict())
    else:
        console.print(f"Added {added.name} ({added.role}, lab {added.lab})")


@user_app.command("token")
def user_token(
    name: str = typer.Argument(..., help="User to issue a token for."),
    db: DbOption = None,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Issue a new API token (printed once; only its argon2 hash is stored)."""
    with open_store(db) as store:
        token = store.issue_token(name, actor=resolve_user(user))
    if as_json:
        print_json({"user": name, "token": token})
    else:
        print(token)


@user_app.command("deactivate")
def user_deactivate(
    name: str = typer.Argument(..., help="User to deactivate (of the administrator's lab)."),
    db: DbOption = None,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Deactivate a user (administrators of the same lab): the API token is revoked and every
    web session of the user ends at once."""
    with open_store(db) as store:
        done = store.deactivate_user(name, actor=resolve_user(user))
    if as_json:
        print_json(done.to_dict())
    else:
        console.print(f"Deactivated {done.name} ({done.role}, lab {done.lab}): token revoked, "
                      "sessions ended")


@db_app.command("migrate")
def db_migrate(
    db: DbOption = None,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Apply pending schema migrations."""
    from locard.store import Store

    applied = Store.migrate(db, actor=resolve_user(user))
    if as_json:
        print_json({"applied": applied})
    elif applied:
        console.print("Applied: " + ", ".join(applied))
    else:
        console.print("Schema is up to date")
