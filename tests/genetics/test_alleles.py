from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from locard.errors import InvalidAllele, LocardError
from locard.genetics.alleles import Allele, AlleleKind, parse_allele


@pytest.mark.parametrize(
    ("text", "kind", "repeats", "variant", "canonical"),
    [
        ("13", AlleleKind.REPEAT, 13, 0, "13"),
        (" 9.3 ", AlleleKind.REPEAT, 9, 3, "9.3"),
        ("16.3", AlleleKind.REPEAT, 16, 3, "16.3"),
        ("2.2", AlleleKind.REPEAT, 2, 2, "2.2"),  # Penta D
        ("32.2", AlleleKind.REPEAT, 32, 2, "32.2"),
        ("13.0", AlleleKind.REPEAT, 13, 0, "13"),  # spreadsheet float
        (">27", AlleleKind.ABOVE, 27, 0, ">27"),
        ("<5", AlleleKind.BELOW, 5, 0, "<5"),
        ("ol", AlleleKind.OFF_LADDER, 0, 0, "OL"),
        ("OL", AlleleKind.OFF_LADDER, 0, 0, "OL"),
        (14, AlleleKind.REPEAT, 14, 0, "14"),
        (9.3, AlleleKind.REPEAT, 9, 3, "9.3"),
    ],
)
def test_parse_valid(text: object, kind: AlleleKind, repeats: int, variant: int,
                     canonical: str) -> None:
    allele = parse_allele(text)
    assert allele.kind is kind
    assert allele.repeats == repeats
    assert allele.variant == variant
    assert str(allele) == canonical


def test_amelogenin_letters_and_numeric_coding() -> None:
    assert parse_allele("x", locus="AMEL") == Allele(AlleleKind.X)
    assert parse_allele("Y", locus="AMEL") == Allele(AlleleKind.Y)
    assert parse_allele("1", locus="AMEL") == Allele(AlleleKind.X)
    assert parse_allele("2", locus="AMEL") == Allele(AlleleKind.Y)
    with pytest.raises(InvalidAllele, match="AMEL: '3' is not an Amelogenin allele"):
        parse_allele("3", locus="AMEL")
    with pytest.raises(InvalidAllele, match="TH01: 'X' is a sex allele outside Amelogenin"):
        parse_allele("X", locus="TH01")


@pytest.mark.parametrize(
    "bad", ["9,3", "", "abc", "13.10", "0", "-1", "1000", "13/14", "9.", ">", "?"])
def test_invalid_designations_name_locus_and_value(bad: str) -> None:
    with pytest.raises(InvalidAllele) as info:
        parse_allele(bad, locus="D18S51")
    assert str(info.value).startswith(f"D18S51: {bad!r}")
    assert info.value.locus == "D18S51"
    assert info.value.value == bad
    assert isinstance(info.value, LocardError)


def test_issue_example_message() -> None:
    with pytest.raises(InvalidAllele, match=r"^D18S51: '9,3' is not an allele designation$"):
        parse_allele("9,3", locus="D18S51")


def test_ordering_by_repeat_number() -> None:
    names = ["OL", ">27", "27.3", "10", "9.3", "<5", "5", "9", "27"]
    ordered = [str(a) for a in sorted(parse_allele(n) for n in names)]
    assert ordered == ["<5", "5", "9", "9.3", "10", "27", "27.3", ">27", "OL"]


def test_number() -> None:
    assert parse_allele("9.3").number == pytest.approx(9.3)
    assert parse_allele("OL").number is None
    assert parse_allele("13").is_microvariant is False
    assert parse_allele("13.2").is_microvariant is True


@given(st.integers(min_value=1, max_value=200), st.integers(min_value=0, max_value=9))
def test_round_trip_repeat(repeats: int, variant: int) -> None:
    allele = Allele.repeat(repeats, variant)
    assert parse_allele(str(allele)) == allele


@given(st.text(max_size=8))
def test_parse_never_crashes(text: str) -> None:
    try:
        allele = parse_allele(text, locus="FGA")
    except InvalidAllele as exc:
        assert "FGA" in str(exc)
    else:
        assert parse_allele(str(allele), locus="FGA") == allele


@given(st.lists(st.builds(Allele.repeat, st.integers(1, 60), st.integers(0, 9)), min_size=2))
def test_sorting_is_consistent_with_number(alleles: list[Allele]) -> None:
    numbers = [a.number for a in sorted(alleles)]
    assert numbers == sorted(numbers)  # type: ignore[type-var]
