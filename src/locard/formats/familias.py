"""Familias ``.fam`` files: the persons, pedigrees (hypotheses), allele database and mutation
models of a Familias 3 case, parsed into plain records (parse only; :mod:`locard.familias`
turns them into Locard's pedigrees, frequency table and mutation models).

The layout, as Familias 3 writes it (one value a line, strings in double quotes; read from the
public description of the format in pedFamilias' ``readFam``, Vigeland, github
magnusdv/pedFamilias; Egeland, Mostad, Mevag & Stenersen 2000, Forensic Sci Int 110:47):

1. three header lines (the last the Familias version), an optional empty line, the number of
   persons; per person: name, two flag lines, a line ``(Consider dropouts)``-or-not, ``#TRUE#``
   for a male (else female), the number of genotypes, then three lines per genotype: the
   0-based index of allele 1 and of allele 2 in the database's allele list of the locus, and
   the 0-based index of the locus in the database;
2. ``Known relations``: the numbers of extra (unnamed, untyped) females and males, the number of
   parent-child pairs, then per pair the 0-based index of the parent and of the child (persons,
   then the extras);
3. the number of pedigrees; per pedigree its index, name, numbers of extra females and males,
   number of pairs and the pairs (relations in addition to the known ones);
4. a line ``#FALSE# (#Databases: 1 ;Theta/Kinship/Fst: T )``, the number of loci, ``#TRUE#`` and
   the database name (or ``#FALSE#``), then per locus: name, female and male mutation rate,
   female and male model code (0 equal, 1 proportional, 2 stepwise, 3 stepwise stationary,
   4 extended stepwise), number of alleles with the silent allele, female and male range,
   female and male rate2, ``#TRUE#`` if a silent allele has a frequency, its frequency, a line
   ``N<TAB>(DatabaseSize = ..., ...)`` with N the number of alleles, and N pairs of lines allele
   name, frequency;
5. optional sections in brackets (``[Advanced]``, ``[Prior]``, ...), not read, and ``[DVI]``,
   read into :class:`FamiliasDVI` (``dvi``; ``has_dvi`` says whether it is present). Its layout
   (as Familias writes it and pedFamilias' ``readDVI``/``writeDVI`` describe it): sections
   nested by the number of brackets, ``Key= value`` lines in them. ``[[Unidentified persons]]``
   (``nPersons=``, then one ``[[[Person k]]]`` each) lists the victims; ``[[Reference
   Families]]`` (``nFamilies=``, then ``[[[Family k]]]`` each, ``Name=``) holds per family a
   ``[[[[Persons]]]]`` section (``nPersons=``, one person section each) and a
   ``[[[[Pedigrees]]]]`` section (``nPedigrees=``, per pedigree ``Name=``, ``nRelations=`` and
   ``Parent=``/``Child=`` pairs by name; a name not among the persons, such as ``Missing
   person``, is an untyped extra). A person: ``Name=``, ``Gender= Male|Female``, and a ``DNA
   data`` section of ``SystemName=`` lines, each followed by its two allele lines (allele names,
   not indices). Sections other than these (``[[Notes]]``) are skipped.

Extras are named ``extra_1``, ``extra_2``, ... (Familias gives them no name); a child with one
parent gets an untyped other parent ``added_1``, ... (as pedFamilias' ``prefixAdded``). Loci
Locard does not compute kinship on (not autosomal STRs) are left out and listed in ``skipped``.
Every error is a :class:`~locard.errors.FileFormatError` naming the file, the line and the
value; twins, precomputed probabilities and silent alleles are refused as Familias-only features.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from locard.errors import FileFormatError, InvalidAllele, InvalidProfile, UnknownLocus
from locard.genetics.alleles import parse_allele
from locard.genetics.loci import LOCI, LocusKind, canonical_locus
from locard.genetics.profiles import Profile

__all__ = [
    "FAMILIAS_MODELS",
    "MAX_FAM_BYTES",
    "FamiliasDVI",
    "FamiliasDVIFamily",
    "FamiliasDVIPerson",
    "FamiliasFile",
    "FamiliasLocus",
    "FamiliasPedigree",
    "FamiliasPerson",
    "parse_familias",
    "read_familias_file",
]

MAX_FAM_BYTES: Final = 32 * 1024 * 1024
FAMILIAS_MODELS: Final[dict[int, str]] = {
    0: "equal", 1: "proportional", 2: "stepwise", 3: "stepwise-stationary",
    4: "extended-stepwise",
}
"""Familias' mutation model codes, by Locard's model names (3 has no Locard equivalent)."""

_THETA: Final = re.compile(r"Theta/Kinship/Fst:\s*([0-9.eE+-]+)")
_DB_SIZE: Final = re.compile(r"DatabaseSize\s*=\s*(\d+)")


@dataclass(frozen=True, slots=True)
class FamiliasPerson:
    """A person of the file: name, sex ('male'/'female') and the profile, if typed."""

    id: str
    sex: str
    profile: Profile | None = None


@dataclass(frozen=True, slots=True)
class FamiliasPedigree:
    """One hypothesis: every person in it (the file's, extras and added parents) and the
    parents of each child (father, mother)."""

    name: str
    persons: tuple[FamiliasPerson, ...]
    parents: dict[str, tuple[str, str]]
    line: int


@dataclass(frozen=True, slots=True)
class FamiliasLocus:
    """One locus of the database: alleles and frequencies as listed, and the mutation
    parameters of mothers and fathers (model names from :data:`FAMILIAS_MODELS`)."""

    locus: str
    name: str
    alleles: tuple[str, ...]
    frequencies: tuple[float, ...]
    female_rate: float
    male_rate: float
    female_model: str
    male_model: str
    female_range: float
    male_range: float
    female_rate2: float
    male_rate2: float
    database_size: int | None
    line: int


@dataclass(frozen=True, slots=True)
class FamiliasDVIPerson:
    """A person of the ``[DVI]`` section: name, sex ('male', 'female' or 'unknown'), the profile
    if typed, and the line of their section."""

    id: str
    sex: str
    profile: Profile | None
    line: int


@dataclass(frozen=True, slots=True)
class FamiliasDVIFamily:
    """A reference family of the ``[DVI]`` section: its typed (and listed untyped) persons and
    its pedigrees, each a name and the (parent, child) pairs by name."""

    name: str
    persons: tuple[FamiliasDVIPerson, ...]
    pedigrees: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    line: int


@dataclass(frozen=True, slots=True)
class FamiliasDVI:
    """The ``[DVI]`` section: the unidentified persons (victims) and the reference families."""

    unidentified: tuple[FamiliasDVIPerson, ...]
    families: tuple[FamiliasDVIFamily, ...]


@dataclass(frozen=True, slots=True)
class FamiliasFile:
    """A parsed ``.fam`` file."""

    path: str
    version: str
    persons: tuple[FamiliasPerson, ...]
    pedigrees: tuple[FamiliasPedigree, ...]
    loci: tuple[FamiliasLocus, ...]
    database: str
    theta: float
    has_dvi: bool
    sha256: str
    skipped: dict[str, str] = field(default_factory=dict)
    dvi: FamiliasDVI | None = None

    def pedigree(self, name: str) -> FamiliasPedigree:
        """The pedigree called ``name``.

        Raises FileFormatError, naming the pedigrees there are, if the file has none of that name.
        """
        for ped in self.pedigrees:
            if ped.name == name:
                return ped
        names = ", ".join(repr(p.name) for p in self.pedigrees) or "none"
        raise FileFormatError(f"no pedigree {name!r} (pedigrees: {names})", path=self.path,
                              remedy="name one of them (--hypothesis NAME)")


class _Lines:
    """The file's lines with quotes removed, read one at a time with their line numbers."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = [raw.replace('"', "").strip() for raw in text.splitlines()]
        self.pos = 0

    def error(self, message: str, line: int | None = None, *,
              remedy: str | None = None) -> FileFormatError:
        return FileFormatError(message, path=self.path,
                               line=line if line is not None else self.pos, remedy=remedy)

    def next(self, what: str) -> str:
        if self.pos >= len(self.lines):
            raise self.error(f"the file ends where {what} was expected", len(self.lines))
        self.pos += 1
        return self.lines[self.pos - 1]

    def integer(self, what: str, *, low: int = 0, high: int | None = None) -> int:
        text = self.next(what)
        try:
            value = int(text)
        except ValueError:
            raise self.error(f"expected {what}, found {text!r}") from None
        if value < low or (high is not None and value > high):
            bound = f"{low}..{high}" if high is not None else f">= {low}"
            raise self.error(f"{what} {value} is out of range ({bound})")
        return value

    def number(self, what: str) -> float:
        text = self.next(what)
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            raise self.error(f"expected {what}, found {text!r}") from None
        if value != value or value < 0:
            raise self.error(f"{what} {text!r} is not a non-negative number")
        return value

    def flag(self, what: str) -> bool:
        text = self.next(what)
        if text.startswith("#TRUE#"):
            return True
        if text.startswith("#FALSE#"):
            return False
        raise self.error(f"expected {what} (#TRUE# or #FALSE#), found {text!r}")


@dataclass(slots=True)
class _RawPerson:
    id: str
    male: bool
    genotypes: list[tuple[int, int, int, int]]  # allele 1, allele 2, locus index, line


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise FileFormatError("file not found", path=str(path)) from None
    if size > MAX_FAM_BYTES:
        raise FileFormatError(f"{size} bytes; a .fam file is at most {MAX_FAM_BYTES}",
                              path=str(path))
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):  # Familias writes Windows text
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileFormatError("not text (neither UTF-8 nor Windows-1252)", path=str(path))


def read_familias_file(path: str | Path) -> FamiliasFile:
    """Parse the ``.fam`` file at ``path`` (see the module docstring)."""
    p = Path(path)
    text = _read_text(p)
    return parse_familias(text, path=str(path),
                          sha256=hashlib.sha256(p.read_bytes()).hexdigest())


def parse_familias(text: str, *, path: str = "<fam>", sha256: str | None = None) -> FamiliasFile:
    """Parse the text of a ``.fam`` file; ``path`` names it in errors."""
    r = _Lines(path, text)
    if len(r.lines) < 5:
        raise r.error("too short for a Familias .fam file", 1)
    r.next("the header")
    r.next("the header")
    version = r.next("the Familias version")
    if r.lines[r.pos] == "":
        r.pos += 1
    raw_persons = _read_persons(r)
    base = [(p.id, p.male) for p in raw_persons]
    if r.next("'Known relations'") != "Known relations":
        raise r.error(f"expected 'Known relations', found {r.lines[r.pos - 1]!r}")
    known_ids, known_pairs = _read_extras_and_pairs(r, base, prefix_start=1)
    n_peds = r.integer("the number of pedigrees")
    peds_raw: list[tuple[str, int, list[tuple[str, bool]], list[tuple[int, int, int]]]] = []
    extra_count = len(known_ids) - len(base)
    for _ in range(n_peds):
        start = r.pos + 1
        r.integer("a pedigree index")
        name = r.next("a pedigree name")
        ids, pairs = _read_extras_and_pairs(r, known_ids, prefix_start=extra_count + 1)
        extra_count += len(ids) - len(known_ids)
        peds_raw.append((name or f"pedigree {len(peds_raw) + 1}", start, ids, pairs))
    db_head = r.next("the database line (#Databases, Theta)")
    if db_head.startswith("#TRUE#"):
        raise r.error("the file holds precomputed probabilities, which Locard does not read",
                      remedy="save the case in Familias without computed results")
    found = _THETA.search(db_head)
    theta = float(found.group(1)) if found else 0.0
    locus_list, database, skipped = _read_database(r)
    persons = _profiles(r, raw_persons, locus_list, skipped)
    if not peds_raw:  # no hypotheses: the known relations form the one pedigree
        peds_raw.append(("Known relations", 0, known_ids, []))
    pedigrees = tuple(_pedigree(r, name, line, ids, known_pairs + pairs, persons)
                      for name, line, ids, pairs in peds_raw)
    names = [p.name for p in pedigrees]
    for name in names:
        if names.count(name) > 1:
            raise r.error(f"pedigree {name!r} is named twice", 1)
    return FamiliasFile(
        path=path, version=version, persons=tuple(persons.values()), pedigrees=pedigrees,
        loci=tuple(loc for loc in locus_list if loc is not None), database=database,
        theta=theta, has_dvi="[DVI]" in r.lines,
        sha256=sha256 or hashlib.sha256(text.encode()).hexdigest(), skipped=skipped,
        dvi=_read_dvi(r, skipped) if "[DVI]" in r.lines else None)


# --- the [DVI] section -----------------------------------------------------------------------


@dataclass(slots=True)
class _Section:
    name: str
    line: int
    entries: list[tuple[str, str, int]] = field(default_factory=list)
    children: list[_Section] = field(default_factory=list)

    def value(self, key: str, r: _Lines) -> str:
        for k, v, _ in self.entries:
            if k.lower() == key.lower():
                return v
        raise r.error(f"section [{self.name}] has no '{key}='", self.line)

    def child(self, name: str) -> _Section | None:
        return next((c for c in self.children if c.name.lower() == name.lower()), None)

    def counted(self, key: str, r: _Lines) -> list[_Section]:
        """The child sections, checked against the count ``key`` (e.g. nPersons)."""
        text = self.value(key, r)
        try:
            n = int(text)
        except ValueError:
            raise r.error(f"[{self.name}]: expected {key}= a number, found {text!r}",
                          self.line) from None
        if n != len(self.children):
            raise r.error(f"[{self.name}]: {key}= {n}, but {len(self.children)} sections follow",
                          self.line)
        return self.children


def _dvi_tree(r: _Lines) -> _Section:
    start = r.lines.index("[DVI]")
    root = _Section("DVI", start + 1)
    path = [root]
    for k in range(start + 1, len(r.lines)):
        text = r.lines[k]
        if not text:
            continue
        depth = len(text) - len(text.lstrip("["))
        if depth:
            if depth == 1:
                break  # the next top-level section ([Prior], [Advanced])
            if depth > len(path) + 1:
                raise r.error(f"section {text!r} is nested {depth} deep under a section "
                              f"{len(path)} deep", k + 1)
            section = _Section(text.strip("[] ").strip(), k + 1)
            del path[depth - 1:]
            path[-1].children.append(section)
            path.append(section)
            continue
        key, sep, value = text.partition("=")
        if not sep:
            raise r.error(f"expected 'Key= value' in the [DVI] section, found {text!r}", k + 1)
        path[-1].entries.append((key.strip(), value.strip(), k + 1))
    return root


def _dvi_person(r: _Lines, node: _Section, skipped: dict[str, str]) -> FamiliasDVIPerson:
    name = node.value("Name", r)
    gender = next((v for k, v, _ in node.entries if k.lower() == "gender"), "").lower()
    sex = gender if gender in ("male", "female") else "unknown"
    calls: dict[str, list[str]] = {}
    data = node.child("DNA data")
    entries = data.entries if data is not None else []
    k = 0
    while k < len(entries):
        key, system, line = entries[k]
        if key.lower() != "systemname":
            k += 1  # nSystems= and the like
            continue
        if k + 2 >= len(entries):
            raise r.error(f"person {name!r}: {system} has fewer than two allele lines", line)
        alleles = [entries[k + 1][1], entries[k + 2][1]]
        k += 3
        try:
            locus = canonical_locus(system)
        except UnknownLocus:
            raise r.error(f"person {name!r}: locus {system!r} is not a locus Locard knows", line,
                          remedy="rename it in Familias to a standard name") from None
        if locus in skipped or LOCI[locus].kind is not LocusKind.AUTOSOMAL_STR:
            continue
        if locus in calls:
            raise r.error(f"person {name!r}: {locus} typed twice", line)
        calls[locus] = alleles
    profile = None
    if calls:
        try:
            profile = Profile.from_mapping(calls, specimen_id=name)
        except (InvalidAllele, InvalidProfile) as exc:
            raise r.error(f"person {name!r}: {exc.message}", node.line) from None
    return FamiliasDVIPerson(name, sex, profile, node.line)


def _read_dvi(r: _Lines, skipped: dict[str, str]) -> FamiliasDVI:
    root = _dvi_tree(r)
    victims: list[FamiliasDVIPerson] = []
    unidentified = root.child("Unidentified persons")
    if unidentified is not None:
        victims = [_dvi_person(r, p, skipped) for p in unidentified.counted("nPersons", r)]
    families: list[FamiliasDVIFamily] = []
    references = root.child("Reference Families")
    for node in references.counted("nFamilies", r) if references is not None else []:
        name = node.value("Name", r)
        persons_node = node.child("Persons")
        persons = ([_dvi_person(r, p, skipped) for p in persons_node.counted("nPersons", r)]
                   if persons_node is not None else [])
        peds_node = node.child("Pedigrees")
        if peds_node is None:
            raise r.error(f"family {name!r} has no [Pedigrees] section", node.line)
        pedigrees = []
        for ped in peds_node.counted("nPedigrees", r):
            pairs: list[tuple[str, str]] = []
            rel = [(k.lower(), v, line) for k, v, line in ped.entries
                   if k.lower() in ("parent", "child")]
            for j in range(0, len(rel), 2):
                if (j + 1 >= len(rel) or rel[j][0] != "parent" or rel[j + 1][0] != "child"):
                    raise r.error(f"family {name!r}: expected Parent= then Child=", rel[j][2])
                pairs.append((rel[j][1], rel[j + 1][1]))
            count = ped.value("nRelations", r)
            if count.isdigit() and int(count) != len(pairs):
                raise r.error(f"family {name!r}, pedigree {ped.value('Name', r)!r}: "
                              f"nRelations= {count}, but {len(pairs)} pairs follow", ped.line)
            pedigrees.append((ped.value("Name", r), tuple(pairs)))
        families.append(FamiliasDVIFamily(name, tuple(persons), tuple(pedigrees), node.line))
    return FamiliasDVI(tuple(victims), tuple(families))


def _read_persons(r: _Lines) -> list[_RawPerson]:
    n = r.integer("the number of persons")
    out: list[_RawPerson] = []
    for _ in range(n):
        line = r.pos + 1
        pid = r.next("a person's name")
        if not pid:
            raise r.error("a person without a name", line)
        if any(p.id == pid for p in out):
            raise r.error(f"person {pid!r} is listed twice", line)
        r.next(f"person {pid!r}'s flags")
        r.next(f"person {pid!r}'s flags")
        r.next(f"person {pid!r}'s flags")
        male = r.flag(f"person {pid!r}'s sex (#TRUE# for male)")
        n_geno = r.integer(f"the number of genotypes of {pid!r}")
        genotypes = []
        for _ in range(n_geno):
            a1 = r.integer(f"an allele index of {pid!r}")
            at = r.pos  # the genotype's first line
            a2 = r.integer(f"an allele index of {pid!r}")
            locus = r.integer(f"a locus index of {pid!r}")
            genotypes.append((a1, a2, locus, at))
        out.append(_RawPerson(pid, male, genotypes))
    return out


def _read_extras_and_pairs(r: _Lines, ids: list[tuple[str, bool]], *, prefix_start: int,
                           ) -> tuple[list[tuple[str, bool]], list[tuple[int, int, int]]]:
    n_female = r.integer("the number of extra females")
    n_male = r.integer("the number of extra males")
    taken = {i for i, _ in ids}
    out = list(ids)
    k = prefix_start
    for male in [False] * n_female + [True] * n_male:
        while f"extra_{k}" in taken:
            k += 1
        out.append((f"extra_{k}", male))
        taken.add(f"extra_{k}")
        k += 1
    n_pairs = r.integer("the number of parent-child relations")
    pairs = []
    for _ in range(n_pairs):
        text = r.lines[r.pos] if r.pos < len(r.lines) else ""
        if "Direct" in text:
            raise r.error(f"a twin relation ({text!r}), which Locard does not read", r.pos + 1,
                          remedy="give the twins' profile to one person in the file")
        parent = r.integer("a parent's index", high=len(out) - 1)
        child = r.integer("a child's index", high=len(out) - 1)
        pairs.append((parent, child, r.pos))
    return out, pairs


def _read_database(r: _Lines) -> tuple[list[FamiliasLocus | None], str, dict[str, str]]:
    n_loci = r.integer("the number of loci")
    database = r.next("the database name") if r.flag("whether a database name follows") else ""
    out: list[FamiliasLocus | None] = []
    skipped: dict[str, str] = {}
    for _ in range(n_loci):
        line = r.pos + 1
        name = r.next("a locus name")
        female_rate = r.number(f"{name}: the female mutation rate")
        male_rate = r.number(f"{name}: the male mutation rate")
        female_code = r.integer(f"{name}: the female mutation model code (0-4)", high=4)
        male_code = r.integer(f"{name}: the male mutation model code (0-4)", high=4)
        r.integer(f"{name}: the number of alleles")
        female_range = r.number(f"{name}: the female range")
        male_range = r.number(f"{name}: the male range")
        female_rate2 = r.number(f"{name}: the female rate2")
        male_rate2 = r.number(f"{name}: the male rate2")
        if r.flag(f"{name}: whether a silent allele has a frequency"):
            raise r.error(f"{name}: a silent allele frequency, which Locard does not read",
                          remedy="remove the silent allele in Familias' database")
        r.number(f"{name}: the silent allele's frequency")
        info = r.next(f"{name}: the number of alleles and the database size")
        head = info.split("\t", 1)[0].split("(", 1)[0].strip()
        try:
            n_alleles = int(head)
        except ValueError:
            raise r.error(f"{name}: expected the number of alleles, found {info!r}") from None
        size = _DB_SIZE.search(info)
        alleles: list[str] = []
        freqs: list[float] = []
        for _ in range(n_alleles):
            alleles.append(r.next(f"{name}: an allele"))
            freqs.append(r.number(f"{name}: the frequency of allele {alleles[-1]!r}"))
        try:
            locus = canonical_locus(name)
        except UnknownLocus:
            raise r.error(f"locus {name!r} is not a locus Locard knows", line,
                          remedy="rename it in Familias' database to a standard name") from None
        if LOCI[locus].kind is not LocusKind.AUTOSOMAL_STR:
            skipped[locus] = f"not an autosomal STR ({LOCI[locus].kind.value})"
            out.append(None)
            continue
        for k, allele in enumerate(alleles):
            try:
                parse_allele(allele, locus=locus)
            except InvalidAllele as exc:
                raise r.error(f"{locus}: allele {allele!r} is not an allele designation "
                              f"({exc.message})", line + 13 + 2 * k,
                              remedy="a 'rest allele' holds no genotype; remove it in "
                                     "Familias, or rename it") from None
        out.append(FamiliasLocus(
            locus=locus, name=name, alleles=tuple(alleles), frequencies=tuple(freqs),
            female_rate=female_rate, male_rate=male_rate,
            female_model=FAMILIAS_MODELS[female_code], male_model=FAMILIAS_MODELS[male_code],
            female_range=female_range, male_range=male_range, female_rate2=female_rate2,
            male_rate2=male_rate2, database_size=int(size.group(1)) if size else None,
            line=line))
    return out, database, skipped


def _profiles(r: _Lines, raw: list[_RawPerson], loci: list[FamiliasLocus | None],
              skipped: dict[str, str]) -> dict[str, FamiliasPerson]:
    out: dict[str, FamiliasPerson] = {}
    for person in raw:
        calls: dict[str, list[str]] = {}
        for a1, a2, index, line in person.genotypes:
            if index >= len(loci):
                raise r.error(f"person {person.id!r}: locus index {index}, but the database "
                              f"has {len(loci)} loci", line)
            locus = loci[index]
            if locus is None:
                continue  # a skipped locus
            for a in (a1, a2):
                if a >= len(locus.alleles):
                    raise r.error(f"person {person.id!r}: {locus.locus}: allele index {a}, but "
                                  f"the database lists {len(locus.alleles)} alleles", line)
            if locus.locus in calls:
                raise r.error(f"person {person.id!r}: {locus.locus} typed twice", line)
            calls[locus.locus] = [locus.alleles[a1], locus.alleles[a2]]
        profile = None
        if calls:
            try:
                profile = Profile.from_mapping(calls, specimen_id=person.id)
            except (InvalidAllele, InvalidProfile) as exc:
                raise r.error(f"person {person.id!r}: {exc.message}",
                              person.genotypes[0][3]) from None
        out[person.id] = FamiliasPerson(person.id, "male" if person.male else "female",
                                        profile)
    return out


def _pedigree(r: _Lines, name: str, line: int, ids: list[tuple[str, bool]],
              pairs: list[tuple[int, int, int]],
              persons: dict[str, FamiliasPerson]) -> FamiliasPedigree:
    fathers: dict[str, str] = {}
    mothers: dict[str, str] = {}
    for parent, child, at in pairs:
        pid, male = ids[parent]
        cid = ids[child][0]
        role = fathers if male else mothers
        if cid in role and role[cid] != pid:
            which = "father" if male else "mother"
            raise r.error(f"pedigree {name!r}: {cid!r} has two {which}s ({role[cid]!r} and "
                          f"{pid!r})", at)
        role[cid] = pid
    people = [persons.get(i) or FamiliasPerson(i, "male" if m else "female") for i, m in ids]
    taken = {p.id for p in people}
    parents: dict[str, tuple[str, str]] = {}
    k = 1
    for cid in [i for i, _ in ids]:
        father, mother = fathers.get(cid), mothers.get(cid)
        if father is None and mother is None:
            continue
        if father is None or mother is None:
            while f"added_{k}" in taken:
                k += 1
            added = f"added_{k}"
            taken.add(added)
            people.append(FamiliasPerson(added, "male" if father is None else "female"))
            father, mother = (added, mother) if father is None else (father, added)
        assert father is not None and mother is not None
        parents[cid] = (father, mother)
    return FamiliasPedigree(name, tuple(people), parents, line)
