"""The governance kernel: one public door (``Store.authorize`` / ``Store.acting``) that looks up
the user, checks the role and lab, records a refusal, and writes the audit entry with the act;
and the store package's shape (no private member of one module used from another, no module
over 600 lines)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa

from locard.errors import AuthenticationFailed, PermissionDenied
from locard.store import Store
from locard.store import schema as S

STORE_DIR = Path(__file__).resolve().parents[2] / "src" / "locard" / "store"


def _actions(store: Store) -> list[tuple[str, str, str | None]]:
    store.verify_audit()
    with store.db.read() as conn:
        rows = conn.execute(sa.select(S.audit_log.c.user, S.audit_log.c.action,
                                      S.audit_log.c.purpose).order_by(S.audit_log.c.seq))
        return [(r.user, r.action, r.purpose) for r in rows]


def test_authorize_returns_the_user_and_audits_a_refusal(store: Store) -> None:
    store.add_user("ana", role="analyst", actor="admin")
    assert store.authorize("ana", "search").name == "ana"
    before = len(_actions(store))
    with pytest.raises(PermissionDenied, match="'ana' \\(analyst\\) may not expunge"):
        store.authorize("ana", "expunge")
    assert _actions(store)[before:] == [("ana", "access_refused", None)]
    with pytest.raises(AuthenticationFailed, match="'nobody'"):
        store.authorize("nobody", "view")


def test_acting_writes_the_act_and_its_audit_entry_together(store: Store) -> None:
    before = len(_actions(store))
    with store.acting("admin", "users", audit_as="user_change", purpose="case 7",
                      details={"op": "test"}) as act:
        assert act.user.name == "admin" and act.user.role == "administrator"
        act.conn.execute(S.locard_meta.insert().values(key="kernel_test", value="1"))
        act.details["extra"] = 2
    assert _actions(store)[before:] == [("admin", "user_change", "case 7")]
    with store.db.read() as conn:
        assert store.get_meta(conn, "kernel_test") == "1"
        details = conn.execute(sa.select(S.audit_log.c.details).order_by(
            S.audit_log.c.seq.desc()).limit(1)).scalar_one()
    assert '"extra":2' in details and '"op":"test"' in details


def test_acting_rolls_back_the_act_and_writes_no_entry_when_it_fails(store: Store) -> None:
    before = len(_actions(store))
    with pytest.raises(RuntimeError), store.acting("admin", "users") as act:
        act.conn.execute(S.locard_meta.insert().values(key="kernel_test", value="1"))
        raise RuntimeError("the operation failed")
    assert len(_actions(store)) == before
    with store.db.read() as conn:
        assert store.get_meta(conn, "kernel_test") is None


def test_acting_confines_a_write_to_the_actors_lab(store: Store) -> None:
    before = len(_actions(store))
    with pytest.raises(PermissionDenied, match="confined to the user's own lab"), \
            store.acting("admin", "users", lab="LAB-B"):
        pytest.fail("the block must not run for another lab")  # pragma: no cover
    assert _actions(store)[before:] == [("admin", "access_refused", None)]


def _private_uses() -> list[str]:
    """``x._name`` in one store module where ``_name`` is defined (as a function, class or
    method) in another store module; ``self._name`` counts when ``_name`` is not defined in the
    same module (a mixin reaching into a sibling's private member)."""
    defined: dict[str, set[str]] = {}
    trees = {p.name: ast.parse(p.read_text()) for p in sorted(STORE_DIR.glob("*.py"))}
    for name, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.setdefault(node.name, set()).add(name)
    found = []
    for name, tree in trees.items():
        for node in ast.walk(tree):
            attr = None
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                    and not node.attr.startswith("__"):
                attr = node.attr
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "locard.store"):
                found += [f"{name}: imports {a.name} from {node.module}" for a in node.names
                          if a.name.startswith("_")]
            if attr and attr in defined and name not in defined[attr]:
                found.append(f"{name}:{getattr(node, 'lineno', 0)}: .{attr} (defined in "
                             f"{', '.join(sorted(defined[attr]))})")
    return found


def test_no_store_module_uses_another_modules_private_members() -> None:
    assert _private_uses() == []


def test_no_store_module_is_over_600_lines() -> None:
    sizes = {p.name: len(p.read_text().splitlines()) for p in STORE_DIR.glob("*.py")}
    assert {n: s for n, s in sizes.items() if s > 600} == {}
