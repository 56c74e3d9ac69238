"""The raw CE runs page and API on the real Identifiler runs (OSIRIS test data): the page lists
the samples with their verdicts, the electropherogram carries every locus's bins, the called
alleles and each flag's reason, an accepted sample enters the store with its provenance, the
verdict's refusal holds, the API returns ``analyze_run(...).to_dict()`` with the verdict, and
nothing uploaded stays on disk."""

from __future__ import annotations

import dataclasses
import html
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from locard.ce.abif import read_abif
from locard.ce.analysis import SampleAnalysis, analyze_run
from locard.ce.calling import LadderResult, locate_ladder
from locard.store.ce_intake import ce_verdict

from .conftest import Service, login

REPO = Path(__file__).resolve().parents[2]
IF = REPO.parent / "shared" / "data" / "ce" / "osiris_test_analysis" / "Identifiler" / "STRbaseIF"
pytestmark = pytest.mark.skipif(not IF.is_dir(), reason=f"reference data not found at {IF}")

LADDER = IF / "Identifiler LADDER.fsa"
SPIKED_LADDER = (IF.parent / "Identifiler_Artifacts"
                 / "_spike_in_D2_and_FGA_B12_ID_LADDER2.fsa")
VICTIM = IF / "MIX05case2_victim.fsa"
POSITIVE = IF / "Positive Control.fsa"
NEGATIVE = IF / "Negative Control.fsa"


def _files(*paths: Path, name: str = "files") -> list[tuple[str, tuple[str, bytes, str]]]:
    return [(name, (p.name, p.read_bytes(), "application/octet-stream")) for p in paths]


def _analyse_page(service: Service, csrf: str, *runs: Path, ladder: Path | None = LADDER,
                  **form: str) -> Any:
    files = _files(*runs) + (_files(ladder, name="ladder") if ladder is not None else [])
    return service.client.post("/ce/analyze", files=files,
                               data={"csrf_token": csrf, "kit": "Identifiler", **form})


def _ladder() -> LadderResult:
    # as the service reads an upload: from bytes, named by the file name
    return locate_ladder(read_abif(LADDER.read_bytes(), name=LADDER.name), kit="Identifiler")


def _reference(path: Path, lad: LadderResult, **kw: Any) -> SampleAnalysis:
    return analyze_run(read_abif(path.read_bytes(), name=path.name), ladder=lad, **kw)


def _section(page: str, key: str) -> str:
    start = page.index(f'id="sample-{key}"')
    end = page.find('<section class="card ce-sample"', start + 1)
    return page[start:end if end > 0 else len(page)]


def _ladder_section(page: str) -> str:
    start = page.index('<section class="card" id="ladder">')
    return page[start:page.index('<section class="card" id="samples">', start)]


def _token(section: str) -> str:
    m = re.search(r'name="token" value="([^"]+)"', section)
    assert m is not None, "no accept form"
    return html.unescape(m.group(1))


def test_page_lists_samples_with_epg_bins_calls_and_flag_reasons(service: Service) -> None:
    csrf = login(service.client, "ana", service.tokens["ana"])
    r = _analyse_page(service, csrf, VICTIM, POSITIVE, NEGATIVE, positive_control="9947A")
    assert r.status_code == 200, r.text[:2000]
    page = r.text
    assert "205/205 ladder alleles found" in page
    lad = _ladder()
    for key, path in (("s0", VICTIM), ("s1", POSITIVE), ("s2", NEGATIVE)):
        a = _reference(path, lad, positive_control="9947A")
        section = _section(page, key)
        assert html.escape(a.sample) in section and a.sha256 in section
        # every locus's bins: one shaded rect per ladder allele found, with its label
        for locus, lo in lad.loci.items():
            bins = set(re.findall(rf'class="bin" data-locus="{re.escape(locus)}" '
                                  r'data-allele="([^"]+)"', section))
            assert bins == set(lo.alleles), locus
        # every called allele is labelled at its locus, and nothing else is called
        called = re.findall(r'class="peak call" data-bp="[^"]+" data-rfu="[^"]+" '
                            r'data-locus="([^"]+)" data-allele="([^"]+)"', section)
        assert sorted(called) == sorted((locus, allele) for locus, res in a.loci.items()
                                        for allele in res.alleles)
        # each flag is listed with its reason, and marked where it names a locus of the kit
        for i, f in enumerate(a.flags):
            assert html.escape(f.message) in section, f
            if f.locus in lad.loci:
                assert f'class="flag-mark" data-flag="{i}"' in section, f
    # the verdicts: the victim's reference could enter forensic; the controls never
    victim = _section(page, "s0")
    assert "Could enter: forensic" in victim
    assert "a control or ladder is never stored" in _section(page, "s1")
    # the positive control calls exactly 9947A: no mismatch flag
    assert "positive control mismatch" not in _section(page, "s1")
    assert "peaks in negative control" in _section(page, "s2")


def test_ladder_epg_labels_every_located_allele_and_marks_no_problem_when_clean(
        service: Service) -> None:
    csrf = login(service.client, "ana", service.tokens["ana"])
    r = _analyse_page(service, csrf, VICTIM)
    assert r.status_code == 200, r.text[:2000]
    section = _ladder_section(r.text)
    assert 'id="epg-ladder"' in section and section.count('class="epg-panel"') == 5
    lad = _ladder()
    assert lad.problems() == {}  # the clean STRbaseIF ladder: 205/205, no problem
    for locus, lo in lad.loci.items():
        # each located ladder allele labelled at its measured size (2 decimals, as drawn)
        labels = re.findall(rf'class="peak ladder" data-bp="([^"]+)" data-rfu="[^"]+" '
                            rf'data-locus="{re.escape(locus)}" data-allele="([^"]+)"', section)
        assert sorted((a, float(bp)) for bp, a in labels) == sorted(
            (a, round(s, 2)) for a, s in zip(lo.alleles, lo.sizes, strict=True)
            if s is not None), locus
        bins = re.findall(rf'class="bin" data-locus="{re.escape(locus)}" '
                          r'data-allele="([^"]+)"', section)
        assert sorted(bins) == sorted(lo.alleles), locus
    assert 'class="flag-mark"' not in section
    assert "No ladder-quality problems." in section
    assert "Every ladder allele was located." in section
    # the samples' electropherograms are unchanged: no ladder labels there
    assert 'class="peak ladder"' not in _section(r.text, "s0")


def test_spiked_ladder_marks_each_problem_at_its_locus(service: Service) -> None:
    csrf = login(service.client, "ana", service.tokens["ana"])
    r = _analyse_page(service, csrf, VICTIM, ladder=SPIKED_LADDER)
    assert r.status_code == 200, r.text[:2000]
    section = _ladder_section(r.text)
    lad = locate_ladder(read_abif(SPIKED_LADDER.read_bytes(), name=SPIKED_LADDER.name),
                        kit="Identifiler")
    problems = lad.problems()
    # the artefact the file name announces: a spike in D2S1338 and in FGA
    assert set(problems) == {"D2S1338", "FGA"}
    marked = re.findall(r'class="flag-mark" data-flag="(\d+)" data-bp="([^"]+)" [^>]*'
                        r'aria-label="flag: ladder at ([^"]+)"', section)
    assert {locus for *_, locus in marked} == {"D2S1338", "FGA"}
    for locus, texts in problems.items():
        for text in texts:
            # the problem's text is listed (shown on click) and marked at the size it names
            assert html.escape(text) in section, text
            bp = re.search(r"at (\d+\.\d+) bp", text)
            assert bp is not None
            assert any(loc == locus and float(at) == float(bp.group(1))
                       for _, at, loc in marked), (locus, text)
    # each marker's flag index is a listed flag of that locus
    for i, _, locus in marked:
        item = re.search(rf'<li class="flag-item" id="flag-ladder-{i}" data-flag="{i}" '
                         r'tabindex="0"><span class="rule">ladder</span> <b>([^<]+)</b>',
                         section)
        assert item is not None and item.group(1) == locus


def test_ladder_epg_lists_missing_alleles_and_parses_problem_sizes() -> None:
    """A ladder with two alleles of TH01 taken out (as if not located) and two problems put
    in, by hand: the missing alleles are listed under their locus and neither labelled nor
    binned; a problem naming ``at X bp`` is marked there, one naming no size at the locus."""
    from locard.service.ce_epg import ladder_electropherogram_svg, ladder_flags

    run = read_abif(LADDER.read_bytes(), name=LADDER.name)
    lad = locate_ladder(run, kit="Identifiler")
    th01 = lad.loci["TH01"]
    gone = {th01.alleles[0], th01.alleles[3]}
    sizes = tuple(None if a in gone else s for a, s in zip(th01.alleles, th01.sizes,
                                                            strict=True))
    heights = tuple(None if a in gone else h for a, h in zip(th01.alleles, th01.heights,
                                                              strict=True))
    spike = "a spike among the ladder alleles at 180.50 bp (400 RFU)"
    spacing = "irregular spacing 6 to 7: 2.00 bp where the kit's 4 bp gives 4.00"
    changed = dataclasses.replace(th01, sizes=sizes, heights=heights,
                                  problems=(spike, spacing))
    hand = LadderResult(kit=lad.kit, file=lad.file, sample=lad.sample, sizing=lad.sizing,
                        loci={**lad.loci, "TH01": changed}, sha256=lad.sha256)
    flags = ladder_flags(hand)
    assert [(f.rule, f.locus, f.sizes) for f in flags] == [
        ("ladder", "TH01", (180.5,)), ("ladder", "TH01", ())]
    svg = ladder_electropherogram_svg(run, hand, key="lx")
    assert f'<li data-locus="TH01"><b>TH01</b>: {", ".join(a for a in th01.alleles if a in gone)}' \
        in svg
    assert "Every ladder allele was located." not in svg
    labelled = set(re.findall(r'class="peak ladder" [^>]*data-locus="TH01" '
                              r'data-allele="([^"]+)"', svg))
    assert labelled == set(th01.alleles) - gone
    binned = set(re.findall(r'class="bin" data-locus="TH01" data-allele="([^"]+)"', svg))
    assert binned == set(th01.alleles) - gone
    # the spike at its size; the spacing problem (no size) at the centre of TH01's window
    centre = (th01.window[0] + th01.window[1]) / 2
    assert 'data-flag="0" data-bp="180.5"' in svg
    assert f'data-flag="1" data-bp="{round(centre, 2):g}"' in svg


def test_ladder_among_the_uploads_and_errors(service: Service) -> None:
    csrf = login(service.client, "ana", service.tokens["ana"])
    r = _analyse_page(service, csrf, VICTIM, LADDER, ladder=None)  # picked by its name
    assert r.status_code == 200 and 'id="sample-s0"' in r.text and 'id="sample-s1"' not in r.text
    r = _analyse_page(service, csrf, VICTIM, ladder=None)
    assert r.status_code == 400 and "which run is the allelic ladder?" in r.text
    r = _analyse_page(service, csrf, VICTIM, ladder=None, ladder_name="nope.fsa")
    assert r.status_code == 400 and "ladder &#39;nope.fsa&#39; is not among" in r.text
    # a file that is not ABIF: the sample reports the reader's error, naming the file
    bad = service.tmp / "broken.fsa"
    bad.write_bytes(b"ABIF" + b"\0" * 200)
    r = _analyse_page(service, csrf, bad)
    assert r.status_code == 200 and "broken.fsa" in _section(r.text, "s0")
    assert 'class="flash bad" role="alert"' in _section(r.text, "s0")


def test_accept_imports_with_provenance_and_the_verdict_refuses(service: Service) -> None:
    csrf = login(service.client, "ana", service.tokens["ana"])
    page = _analyse_page(service, csrf, VICTIM, POSITIVE, positive_control="9947A").text
    token = _token(_section(page, "s0"))
    imports_before = len(service.store.audit_page(actor="admin", limit=1000,
                                                  action="import").entries)
    r = service.client.post("/ce/accept", data={
        "csrf_token": csrf, "token": token, "specimen_id": "CE-VICTIM-1",
        "category": "Forensic, Unknown", "purpose": "case 42"})
    assert r.status_code == 201, r.text[:2000]
    reference = _reference(VICTIM, _ladder())
    assert reference.sha256 in r.text
    view = service.store.get_specimen("CE-VICTIM-1", actor="ana", purpose="test")
    assert view.index == "forensic"
    assert view.provenance is not None
    assert view.provenance["file_sha256"] == reference.sha256
    assert view.provenance["ladder_sha256"] == reference.provenance["ladder_sha256"]
    assert view.provenance["analysed_by"] == "ana"
    assert view.profile is not None
    assert sorted((k, tuple(sorted(e["alleles"]))) for k, e in
                  view.profile.to_dict()["loci"].items()) == sorted(
        (k, tuple(sorted(set(v)))) for k, v in reference.genotype().items())
    # the import is audited by the store
    imports = service.store.audit_page(actor="admin", limit=1000, action="import").entries
    assert len(imports) == imports_before + 1
    # the same form again: the specimen exists, refused with the store's reason
    again = service.client.post("/ce/accept", data={
        "csrf_token": csrf, "token": token, "specimen_id": "CE-VICTIM-1",
        "category": "Forensic, Unknown"})
    assert again.status_code == 400 and "already in the database" in again.text
    # a positive control: the verdict refuses it, with its reason; nothing is stored
    control = _token(_section(page, "s1"))
    r = service.client.post("/ce/accept", data={
        "csrf_token": csrf, "token": control, "specimen_id": "CE-PC-1",
        "category": "Forensic, Unknown"})
    assert r.status_code == 403
    assert "a control or ladder is never stored" in html.unescape(r.text)
    with pytest.raises(Exception, match="CE-PC-1"):
        service.store.get_specimen("CE-PC-1", actor="ana", purpose="test")
    # an index the verdict refuses: the reason the verdict gave for that index
    verdict = ce_verdict(reference, service.store.policy)
    assert not verdict.allows("offender")
    r = service.client.post("/ce/accept", data={
        "csrf_token": csrf, "token": token, "specimen_id": "CE-VICTIM-2",
        "category": "Convicted Offender", "legal_basis": "conviction"})
    assert r.status_code == 403
    assert verdict.why_not("offender") in html.unescape(r.text)


def test_accept_checks_csrf_signature_and_user(service: Service) -> None:
    csrf = login(service.client, "ana", service.tokens["ana"])
    page = _analyse_page(service, csrf, VICTIM).text
    token = _token(_section(page, "s0"))
    form = {"token": token, "specimen_id": "CE-X", "category": "Forensic, Unknown"}
    assert service.client.post("/ce/accept", data=form).status_code == 403  # no CSRF
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    r = service.client.post("/ce/accept", data={**form, "csrf_token": csrf, "token": tampered})
    assert r.status_code == 400 and "not issued by this service" in r.text
    # another analyst of the lab cannot replay ana's form
    service.client.cookies.clear()
    other = login(service.client, "admin", service.tokens["admin"])
    r = service.client.post("/ce/accept", data={**form, "csrf_token": other})
    assert r.status_code == 403 and "another user" in r.text


def test_roles_that_may_not_import_may_not_analyse(service: Service) -> None:
    csrf = login(service.client, "rev", service.tokens["rev"])
    assert service.client.get("/ce").status_code == 403
    assert _analyse_page(service, csrf, VICTIM).status_code == 403
    r = service.client.post("/api/v1/ce/analyze", headers=service.h("aud"),
                            files=_files(VICTIM) + _files(LADDER, name="ladder"),
                            data={"kit": "Identifiler"})
    assert r.status_code == 403


def test_api_returns_analyze_run_to_dict_with_the_verdict(service: Service) -> None:
    r = service.client.post("/api/v1/ce/analyze", headers=service.h("ana"),
                            files=_files(VICTIM, POSITIVE) + _files(LADDER, name="ladder"),
                            data={"kit": "Identifiler", "positive_control": "9947A"})
    assert r.status_code == 200, r.text
    body = r.json()
    lad = _ladder()
    assert body["kit"] == "Identifiler"
    assert (body["ladder"]["found"], body["ladder"]["expected"]) == (205, 205)
    assert [s["file"] for s in body["samples"]] == [VICTIM.name, POSITIVE.name]
    for got, path in zip(body["samples"], (VICTIM, POSITIVE), strict=True):
        a = _reference(path, lad, positive_control="9947A")
        verdict = got.pop("verdict")
        assert got == a.to_dict()
        assert verdict == ce_verdict(a, service.store.policy).to_dict()


def test_upload_cap_is_a_clear_413(service: Service) -> None:
    app = service.client.app
    app.state.settings = dataclasses.replace(app.state.settings,  # type: ignore[attr-defined]
                                             max_ce_upload_bytes=500_000)
    r = service.client.post("/api/v1/ce/analyze", headers=service.h("ana"),
                            files=_files(VICTIM, POSITIVE) + _files(LADDER, name="ladder"),
                            data={"kit": "Identifiler"})
    assert r.status_code == 413
    assert "over the limit of 500000 bytes" in r.json()["detail"]


def test_nothing_uploaded_stays_on_disk(service: Service, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every temporary file (a spooled upload part, anything Locard might write) goes to an
    empty folder of its own; after the page and the API, the folder is empty. Parts are
    forced to spool to disk (Starlette keeps parts under 1 MiB in memory otherwise)."""
    from starlette.formparsers import MultiPartParser

    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    monkeypatch.setattr(MultiPartParser, "spool_max_size", 0)
    csrf = login(service.client, "ana", service.tokens["ana"])
    assert _analyse_page(service, csrf, VICTIM).status_code == 200
    r = service.client.post("/api/v1/ce/analyze", headers=service.h("ana"),
                            files=_files(VICTIM) + _files(LADDER, name="ladder"),
                            data={"kit": "Identifiler"})
    assert r.status_code == 200
    assert list(spool.iterdir()) == []


# --- the drawing's pieces, by hand ------------------------------------------------------------


def test_decimate_keeps_every_bucket_extreme_in_order() -> None:
    from locard.service.ce_epg import decimate

    x = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    y = [5.0, 1.0, 9.0, 3.0, 3.0, 3.0, 0.0, 8.0]
    # 2 buckets on [0, 8]: [0, 4) holds x 0..3 (min 1 at x=1, max 9 at x=2), [4, 8] x 4..7
    # (min 0 at x=6, max 8 at x=7)
    xs, ys = decimate(x, y, lo=0.0, hi=8.0, buckets=2)
    assert xs.tolist() == [1.0, 2.0, 6.0, 7.0] and ys.tolist() == [1.0, 9.0, 0.0, 8.0]
    # one point where min and max coincide (a flat bucket); points outside [lo, hi] dropped
    xs, ys = decimate([0.0, 1.0, 2.0, 10.0], [4.0, 4.0, 4.0, 99.0], lo=0.0, hi=3.0, buckets=1)
    assert xs.tolist() == [0.0] and ys.tolist() == [4.0]
    # degenerate: as many buckets as points keeps every point
    xs, ys = decimate(x, y, lo=0.0, hi=8.0, buckets=8)
    assert xs.tolist() == x and ys.tolist() == y


def test_flags_are_marked_at_the_sizes_their_peaks_name() -> None:
    from locard.ce.artefacts import ArtefactFlag
    from locard.service.ce_epg import epg_flags

    f = ArtefactFlag("heterozygote balance", "TH01", "8 at 180.09 bp (700 RFU) vs 10 at "
                     "188.13 bp (6970 RFU)", "peak height ratio 0.10 < 0.6")
    (got,) = epg_flags([f])
    assert got.sizes == (180.09, 188.13) and got.locus == "TH01"
    assert got.text == str(f)
    (locus_level,) = epg_flags([ArtefactFlag("ladder", "FGA", None, "does not fit")])
    assert locus_level.sizes == ()
