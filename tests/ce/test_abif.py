"""The ABIF reader on the real runs, against Biopython, and on hostile input (fuzzed)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from locard.ce.abif import TRACE_NUMBERS, read_abif
from locard.errors import CEFileError, FileFormatError, LocardError

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ce"
requires_ce = pytest.mark.skipif(not SHARED.is_dir(),
                                 reason=f"reference data not found at {SHARED}")
RUNS = sorted([*SHARED.rglob("*.fsa"), *SHARED.rglob("*.hid")]) if SHARED.is_dir() else []
IDENTIFILER_LADDER = SHARED / "osiris_test_analysis/Identifiler/STRbaseIF/Identifiler LADDER.fsa"
GF_LADDER = SHARED / "osiris_test_analysis/GlobalFilerHID/GF_ladder1_A11_01.hid"


# --- real runs ------------------------------------------------------------------------------


@requires_ce
def test_every_run_in_the_data_is_read() -> None:
    assert len(RUNS) == 70
    for path in RUNS:
        run = read_abif(path)
        assert run.n_dyes in (4, 5, 6), path
        assert all(t.shape == (run.n_scans,) for t in run.traces), path
        assert run.n_scans > 9000, path
        assert run.sample_name, path
        assert len(run.dyes) == run.n_dyes and all(run.dyes), path


@requires_ce
def test_fsa_identifiler_ladder_has_five_dyes_and_metadata() -> None:
    run = read_abif(IDENTIFILER_LADDER)
    assert run.version == 101 and not run.embedded_directory
    assert run.n_dyes == 5 and run.dyes[:4] == ("6FAM", "VIC", "NED", "PAT")
    assert run.sample_name == "Ladder"
    assert run.metadata["instrument"] == "3100_1465_027"
    assert run.metadata["size_standard"] == "GSLIZ500-250POP6.szs"  # the unreliable name
    assert run.trace(5) is run.traces[4]  # dye 5 is DATA 105
    assert np.array_equal(run.trace(5), run.values["DATA105"])


@requires_ce
def test_hid_reads_the_embedded_plain_directory() -> None:
    """The root directory's DATA/DyeN entries of a .hid are obfuscated (element types 28 and 34,
    not in the specification); the traces come from the embedded plain directory."""
    data = GF_LADDER.read_bytes()
    root_count, root_offset = struct.unpack_from(">i", data, 18)[0], struct.unpack_from(
        ">i", data, 26)[0]
    root_types = {}
    for i in range(root_count):
        name, number, etype = struct.unpack_from(">4sih", data, root_offset + 28 * i)
        root_types[(name, number)] = etype
    assert root_types[(b"DATA", 1)] not in (4,) and root_types[(b"DyeN", 1)] not in (2, 18, 19)
    run = read_abif(GF_LADDER)
    assert run.embedded_directory and run.version == 300
    assert run.dyes == ("6-FAM", "VIC", "NED", "PET", "LIZ", "SID")
    assert run.n_scans == 9639
    assert run.sample_name == "GF_ladder1"
    assert run.metadata["size_standard"] == "GS600LIZ"
    # the LIZ channel carries the 36-peak GS600 standard: a real signal, not noise
    assert int(run.trace(5).max()) > 1000


@requires_ce
def test_six_dye_run_maps_dye_six_to_data_106() -> None:
    run = read_abif(GF_LADDER)
    assert TRACE_NUMBERS[5] == 106
    assert np.array_equal(run.trace(6), run.values["DATA106"])


@requires_ce
@pytest.mark.parametrize("path", sorted((SHARED / "seqinr").glob("*.fsa")) if SHARED.is_dir()
                         else [], ids=lambda p: p.name)
def test_same_traces_and_metadata_as_biopython(path: Path) -> None:
    """Cross-implementation: Biopython's ABIF parser (Bio.SeqIO.AbiIO) on the seqinr files."""
    seqio = pytest.importorskip("Bio.SeqIO")
    raw = seqio.read(str(path), "abi").annotations["abif_raw"]
    run = read_abif(path)
    assert run.n_dyes == raw["Dye#1"]
    for dye in range(1, run.n_dyes + 1):
        number = TRACE_NUMBERS[dye - 1]
        assert np.array_equal(run.trace(dye), np.asarray(raw[f"DATA{number}"])), dye
        assert run.dyes[dye - 1] == raw[f"DyeN{dye}"].decode()
    assert run.sample_name == raw["SpNm1"].decode()
    assert run.metadata["instrument"] == raw["MCHN1"].decode()
    assert run.metadata.get("size_standard") == (raw["StdF1"].decode() if "StdF1" in raw
                                                 else None)
    assert run.metadata["run_start_date"] == str(raw["RUND1"])
    assert run.metadata["run_start_time"] == str(raw["RUNT1"])
    # every other decodable value agrees as well
    compared = 0
    for key, value in run.values.items():
        if key not in raw:
            continue
        theirs = raw[key]
        if isinstance(value, np.ndarray):
            assert np.array_equal(value, np.asarray(theirs)), key
        elif isinstance(value, str):
            expected = theirs.decode("latin-1") if isinstance(theirs, bytes) else str(theirs)
            assert value == expected, key
        else:
            assert value == pytest.approx(theirs), key
        compared += 1
    assert compared > 50


# --- hostile and broken input ---------------------------------------------------------------


def test_not_abif_names_the_file() -> None:
    with pytest.raises(CEFileError, match=r"run\.fsa: not an ABIF file"):
        read_abif(b"GIF89a" + b"\0" * 200, name="run.fsa")
    assert issubclass(CEFileError, FileFormatError)


def test_directory_larger_than_the_file_is_refused_before_allocation() -> None:
    header = b"ABIF" + struct.pack(">H", 101) + struct.pack(
        ">4sihhiiii", b"tdir", 1, 1023, 28, 2**31 - 1, 2**31 - 1, 128, 0)
    with pytest.raises(CEFileError, match="does not fit in the file"):
        read_abif(header + b"\0" * 100, name="huge.fsa")


def test_entry_pointing_outside_the_file() -> None:
    entry = struct.pack(">4sihhiiii", b"DATA", 1, 4, 2, 1000, 2000, 10**6, 0)
    directory_offset = 128
    header = b"ABIF" + struct.pack(">H", 101) + struct.pack(
        ">4sihhiiii", b"tdir", 1, 1023, 28, 1, 28, directory_offset, 0)
    data = header.ljust(directory_offset, b"\0") + entry
    with pytest.raises(CEFileError, match="DATA"):
        read_abif(data, name="bad.fsa")


def test_oversized_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.fsa"
    path.write_bytes(b"ABIF" + b"\0" * 2000)
    with pytest.raises(CEFileError, match="larger than"):
        read_abif(path, max_bytes=1000)


def test_missing_file_is_a_locard_error(tmp_path: Path) -> None:
    with pytest.raises(CEFileError, match="cannot read"):
        read_abif(tmp_path / "absent.fsa")


def _fuzz_source() -> bytes:
    return (SHARED / "seqinr" / "1_0000206138_C01_005.fsa").read_bytes()


def _fuzz_hid() -> bytes:
    return GF_LADDER.read_bytes()


@requires_ce
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=0, max_value=109_299),
       flips=st.lists(st.tuples(st.integers(min_value=0, max_value=109_298),
                                st.integers(min_value=0, max_value=255)), max_size=8),
       hid=st.booleans())
def test_fuzzed_files_read_or_raise_the_locard_error(cut: int, flips: list[tuple[int, int]],
                                                     hid: bool) -> None:
    """Random truncations and byte changes of a real .fsa and .hid (many land in the header and
    directories): the reader either reads a consistent run or raises CEFileError; nothing
    else escapes, and hypothesis would report a hang as a timeout of the whole run."""
    original = _fuzz_hid() if hid else _fuzz_source()
    data = bytearray(original)
    directory_offset = struct.unpack_from(">i", original, 26)[0]
    for position, value in flips:
        # aim half of the flips at the header and the root directory, where they matter most
        target = position if position % 2 else (directory_offset + position % 4000
                                                if position % 4 else position % 34)
        if target < len(data):
            data[target] = value
    data = data[: max(cut, len(data) // 2) if hid else cut]
    try:
        run = read_abif(bytes(data), name="fuzz.fsa")
    except CEFileError as exc:
        assert "fuzz.fsa" in str(exc)
        return
    except LocardError as exc:  # pragma: no cover - would be a wrong class
        pytest.fail(f"wrong error class {type(exc).__name__}: {exc}")
    assert run.n_dyes >= 1
    assert all(t.shape == run.traces[0].shape for t in run.traces)
