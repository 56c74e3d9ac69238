"""The shapes of the JSON API's responses, for the OpenAPI schema at ``/openapi.json``.

The routes build their bodies from the store's ``to_dict()`` results and send them as they are;
these models declare those bodies (``response_model=`` / ``responses=`` on the routes of
:mod:`locard.service.api`), and ``tests/service/test_schema.py`` runs Schemathesis against the
app to keep the two the same. Every model names all its fields and allows no other
(``extra="forbid"``, ``additionalProperties: false`` in the schema), so a field added to a
body and not declared here fails that test; free-form parts (provenance, audit details, search
parameters) are typed as objects.

Floats that may be infinite (an LR over an RMP of 0) or undefined are sent by the one JSON-safe
encoder as the strings ``"Infinity"`` / ``"-Infinity"`` and as ``null`` (:data:`Real`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ERROR_RESPONSES",
    "AuditEntryOut",
    "AuditResponse",
    "AuditVerifyResponse",
    "CaseListResponse",
    "CaseResponse",
    "CeAnalyzeResponse",
    "ContinuousMixtureLRResponse",
    "ContinuousMixtureRankResponse",
    "DeactivateResponse",
    "ErrorResponse",
    "ExpungeResponse",
    "IdentifyResponse",
    "ImportResponse",
    "MatchDecisionOut",
    "MatchDetailResponse",
    "MatchListResponse",
    "MatchOut",
    "MeResponse",
    "MixtureLRResponse",
    "MixtureRankResponse",
    "Real",
    "SearchResponse",
    "SpecimenResponse",
    "StatisticsResponse",
]

Real = Annotated[float | str | None, Field(
    description='a number; "Infinity" or "-Infinity" where it is infinite, null where it is '
                "undefined")]


class Out(BaseModel):
    """Base of the response models: no field that is not named (see the module)."""

    model_config = ConfigDict(extra="forbid")


class ErrorResponse(Out):
    """The one error shape of every route (:mod:`locard.service.errors`)."""

    error: str = Field(description="a short code, e.g. 'permission_denied', "
                                   "'validation_error', 'payload_too_large'")
    detail: str = Field(description="what went wrong and, where there is one, the remedy")
    status: int = Field(description="the HTTP status, repeated")


_ERRORS: dict[int, str] = {
    400: "Bad input: a value, a record or a file that Locard cannot accept",
    401: "Not authenticated: send 'Authorization: Bearer <token>' or log in",
    403: "Refused by role, lab or policy",
    404: "Not found (or not visible to the caller)",
    409: "In conflict with the stored state (e.g. a decision is final)",
    413: "Request body over the size limit",
    422: "The request does not match this schema, or a record was refused",
    429: "Too many attempts; retry after the time in 'Retry-After'",
}

#: the error statuses every /api/v1 route may answer, each with the one error shape
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text} for status, text in _ERRORS.items()}


# --- users, statistics ------------------------------------------------------------------------


class UserOut(Out):
    """A user: name, role, lab and whether active."""
    name: str
    role: str
    lab: str
    active: bool


class DeactivateResponse(Out):
    """Body of a user deactivation: the user, now inactive."""
    user: UserOut = Field(description="the user, now inactive")


class MeResponse(Out):
    """Body of ``GET /api/v1/me``: the calling user and how they authenticated."""
    user: UserOut
    auth: str = Field(description="'token' or 'session'")


class GrowthPoint(Out):
    """One day of an index's growth: the running profile count at the end of that day."""
    day: str
    count: int


class LociTyped(Out):
    """How many profiles (``profiles``) type exactly ``loci`` loci."""
    loci: int
    profiles: int


class StatisticsResponse(Out):
    """Body of ``GET /api/v1/statistics``: profile counts per index, growth and loci typed."""
    counts: dict[str, int] = Field(description="profiles per index")
    total: int
    mixtures: int
    growth: dict[str, list[GrowthPoint]] = Field(description="running count per index and day")
    loci_typed: list[LociTyped] = Field(description="how many profiles type how many loci")


# --- imports, specimens -----------------------------------------------------------------------


class ImportProblemOut(Out):
    """One problem found in an import: the message and, where known, file, specimen, record, locus,
    value and rule.
    """
    message: str
    file: str | None = None
    specimen: str | None = None
    record: int | None = None
    locus: str | None = None
    value: str | None = None
    rule: str | None = None


class ImportResponse(Out):
    """An import's report (201), or (422, nothing committed) its problems."""

    file: str = Field(description="the uploaded file's client-side name")
    path: str | None = Field(None, description="the same name (committed imports)")
    format: str | None = Field(None, description="the format read (committed imports)")
    source_sha256: str | None = Field(None, description="SHA-256 of the file as uploaded")
    lab: str | None = Field(None, description="the lab the records were stored under")
    local_only: int | None = Field(None, description="records kept out of national searches")
    seconds: float | None = Field(None, description="how long the import took")
    imported: int
    accepted: dict[str, int] = Field(description="records accepted per index")
    rejected: dict[str, int] = Field(description="records rejected per index")
    committed: bool
    problems: list[ImportProblemOut]
    summary: str
    candidate_matches: list[int] | None = Field(
        None, description="the candidate matches recorded by search on entry")
    specimens: list[str] | None = Field(
        None, description="the specimen IDs stored (committed imports)")
    matches_created: int | None = Field(
        None, description="how many candidate matches search on entry recorded")
    matches: list[dict[str, Any]] | None = Field(
        None, description="those candidate matches (as in GET /matches)")
    dry_run: bool | None = Field(None, description="true when nothing was stored (a dry run)")
    would_import: int | None = Field(
        None, description="a dry run: how many records an import would store")
    controls: list[str] | None = Field(
        None, description="control and ladder samples recognised by name and not stored")
    flagged: list[ImportProblemOut] | None = Field(
        None, description="alleles stored but flagged (outside the kit's ladder range)")


class LocusCallOut(Out):
    """The call at one locus of a specimen: alleles and, where recorded, peak heights (RFU)."""
    alleles: list[str]
    heights: list[float | None] | None = None
    inconclusive: bool | None = None


class SpecimenResponse(Out):
    """A specimen as the caller may see it; another lab's (``restricted``) has only the lab,
    the specimen ID and the index."""

    lab: str
    specimen_id: str
    index: str
    restricted: bool
    category: str | None = None
    legal_basis: str | None = None
    consent: str | None = None
    local_only: bool | None = None
    kit: str | None = None
    retention_until: str | None = None
    created_at: str | None = None
    source_lab: str | None = Field(None, description="the lab a received record came from "
                                   "(imported with --received-from); None: the lab's own")
    rmp: Real = Field(None, description="the profile's RMP over all its loci (CPI for a "
                                        "mixture), when the policy computed it")
    profile: dict[str, LocusCallOut] | None = None
    provenance: dict[str, Any] | None = Field(
        None, description="where the profile came from when it was analysed by Locard (a CE "
                          "run: the instrument file's SHA-256, the ladder's, the kit and the "
                          "analysis parameters); None for imported records")


class ExpungeResponse(Out):
    """Body of an expungement: whether it was done and the salted reference kept."""
    expunged: bool
    specimen_ref: str = Field(description="the salted reference the tombstone keeps")


# --- searches, matches ------------------------------------------------------------------------


class SearchQueryOut(Out):
    """The query profile of a search: its lab, specimen ID and index."""
    lab: str | None
    specimen_id: str | None
    index: str


class SearchCandidate(Out):
    """One candidate of a search; ``restricted`` when it belongs to another lab."""
    lab: str
    specimen_id: str
    index: str
    stringency: str | None
    restricted: bool
    match_id: int | None = None
    compared_loci: int | None = None
    mismatches: int | None = None
    included_loci: int | None = None
    is_mixture: bool | None = None
    rmp: Real = Field(None, description="the candidate's RMP over the compared loci")
    loci: dict[str, Any] | None = None


class SearchResponse(Out):
    """Body of a search: the query, mode, targets, parameters, purpose, user and candidates."""
    query: SearchQueryOut
    mode: str
    targets: list[str]
    parameters: dict[str, Any]
    purpose: str
    user: str
    candidates: list[SearchCandidate]


class MatchOut(Out):
    """A stored candidate match between a query and a candidate specimen."""
    id: int
    query_lab: str
    query_specimen: str
    candidate_lab: str
    candidate_specimen: str
    mode: str
    stringency: str
    compared_loci: int
    mismatches: int
    rmp: Real = Field(description="the statistic of the match: RMP over the compared loci")
    likelihood_ratio: Real
    status: str = Field(description="'pending', 'confirmed' or 'rejected'")
    reviewer: str | None
    note: str | None
    decision_id: int | None = Field(
        None, description="the latest decision (a correction names it in 'supersedes'); "
                          "null while pending")


class MatchDecisionOut(Out):
    """A reviewer's decision on a match ('confirmed' or 'rejected'), possibly correcting an earlier
    one.
    """
    id: int
    match_id: int
    status: str = Field(description="'confirmed' or 'rejected'")
    note: str
    reviewer: str | None
    decided_at: str
    supersedes: int | None = Field(description="the decision this one corrects")


class MatchListResponse(Out):
    """Body of the match list: the matches visible to the caller."""
    matches: list[MatchOut]


class AlleleOut(Out):
    """One allele at a locus in a match comparison, its height (RFU) and whether both sides share
    it.
    """
    allele: str
    height: float | None
    shared: bool


class LocusComparison(Out):
    """The side-by-side comparison of query and candidate at one locus."""
    locus: str
    status: str = Field(description="'match', 'partial', 'shared', 'mismatch' or "
                                    "'not compared'")
    query: list[AlleleOut] | None = None
    candidate: list[AlleleOut] | None = None
    query_text: str | None = None
    candidate_text: str | None = None


class MatchStatistics(Out):
    """The statistic of the match (``locard.store.statistics.match_rmp``): the candidate's RMP
    over the compared loci only, the same number as the match's ``rmp``."""

    statistic: str = Field(description="'RMP', or 'CPI' for a mixture candidate")
    rmp: Real
    lr: Real
    one_in: Real = Field(description="1/rmp, shown as '1 in ...'")
    theta: float
    formula: str
    loci: list[str] = Field(description="the compared loci the statistic is computed over")
    per_locus: dict[str, Real] = Field(description="genotype probability per compared locus")
    excluded: dict[str, str] = Field(description="loci of the candidate without a genotype "
                                                 "probability, with the reason")
    table: dict[str, Any]
    populations: dict[str, Real] = Field(description="the value in every population table")
    provenance: dict[str, Any]


class MatchDetailResponse(Out):
    """Body of one match: the match, both specimens, the per-locus comparison, statistics and
    decisions.
    """
    match: MatchOut
    query: SpecimenResponse
    candidate: SpecimenResponse
    loci: list[LocusComparison]
    statistics: MatchStatistics | None
    decisions: list[MatchDecisionOut] = Field(
        default_factory=list, description="the decisions on the match, oldest first")


# --- missing persons --------------------------------------------------------------------------


class IdentifyCandidateOut(Out):
    """One ranked candidate of a missing-person identification, with its LR."""
    rank: int
    lab: str
    specimen_id: str
    index: str
    lr: Real
    log10_lr: Real
    restricted: bool
    per_locus: dict[str, Real] | None = None


class IdentifyResponse(Out):
    """Body of an identification: the case, the missing person, targets, loci and ranked candidates.
    """
    case_ref: str | None = None
    missing: str
    targets: list[str]
    loci: list[str]
    profiles_ranked: dict[str, int]
    purpose: str
    candidates: list[IdentifyCandidateOut]
    provenance: dict[str, Any]


class CaseSummaryOut(Out):
    """One kinship case in a list: reference, missing person, size and when it was created."""
    case_ref: str
    missing: str
    individuals: int
    typed: int
    created_at: str


class CaseListResponse(Out):
    """Body of the case list."""
    cases: list[CaseSummaryOut]


class CaseMemberOut(Out):
    """One individual of a case pedigree: parents, sex and, where typed, the specimen and profile
    digest.
    """
    id: str
    father: str | None
    mother: str | None
    sex: str
    specimen: str | None = None
    profile_digest: str | None = None


class CaseResponse(Out):
    """Body of one kinship case: its pedigree members and which are typed."""
    case_ref: str
    lab: str
    missing: str
    individuals: list[CaseMemberOut]
    typed: list[str]
    created_at: str
    created_by: str | None


# --- mixtures (locard.service.mixtures, locard.store.mixture_search) ---------------------------


class MixtureLocusOut(Out):
    """One locus of a mixture LR: the LR and Pr(evidence | Hp), Pr(evidence | Hd)."""
    lr: Real
    log10_lr: Real
    likelihood_hp: Real = Field(description="Pr(evidence at the locus | Hp)")
    likelihood_hd: Real = Field(description="Pr(evidence at the locus | Hd)")
    evidence_alleles: list[str] = Field(description="the alleles observed in any replicate")


class LogLikelihoods(Out):
    """The natural-log likelihoods of the evidence under Hp and Hd."""
    hp: Real = Field(description="natural log of Pr(evidence | Hp)")
    hd: Real = Field(description="natural log of Pr(evidence | Hd)")


class HypothesesInWords(Out):
    """The two hypotheses, Hp and Hd, written out in words."""
    hp: str
    hd: str


class MixtureLRResponse(Out):
    """The semi-continuous LR of a case file: the JSON of ``locard mixture lr --json``;
    ``lr == prod(per_locus lr)``."""

    model: str = Field(description="'semi-continuous'")
    lr: Real
    log10_lr: Real
    per_locus: dict[str, MixtureLocusOut]
    loglik: LogLikelihoods
    hypotheses: HypothesesInWords
    notes: dict[str, str] = Field(description="loci left out, with the reason")
    provenance: dict[str, Any]


class ContinuousLocusOut(Out):
    """One locus of a continuous-model LR: the LR and each hypothesis's log-likelihood."""
    lr: Real
    log10_lr: Real
    loglik: LogLikelihoods = Field(description="natural log of the locus's likelihood at "
                                               "each hypothesis's joint maximum")
    evidence_alleles: list[str] = Field(description="the alleles observed in any replicate")


class ContinuousParametersOut(Out):
    """The fitted continuous-model parameters of one hypothesis."""
    mx: list[Real] = Field(description="mixture proportions: the hypothesis's typed "
                                       "contributors in its order, then the unknowns")
    mu: Real = Field(description="expected peak height (RFU)")
    sigma: Real = Field(description="coefficient of variation of the peak heights")
    beta: Real = Field(description="degradation slope (1: no degradation)")
    xi_b: Real = Field(description="backward stutter proportion")
    xi_f: Real = Field(description="forward stutter proportion")


class ContinuousHypothesisPair(Out):
    """The fitted parameters under Hp and under Hd."""
    hp: ContinuousParametersOut
    hd: ContinuousParametersOut


class ContinuousRestartOut(Out):
    """One optimiser restart: its start index, log-likelihood reached, convergence and evaluations.
    """
    start: int
    loglik: Real
    converged: bool
    evaluations: int


class ContinuousMixtureLRResponse(Out):
    """The continuous-model (gamma peak heights, EuroForMix-class) LR of a case file with
    ``"model": "continuous"``: the JSON of ``locard mixture lr --json``;
    ``lr == max L(Hp) / max L(Hd)`` and ``log10_lr == sum(per_locus log10_lr)``."""

    model: str = Field(description="'continuous'")
    lr: Real
    log10_lr: Real
    loglik: LogLikelihoods
    parameters: ContinuousHypothesisPair = Field(description="the maximum-likelihood "
                                                             "parameters of each hypothesis")
    standard_errors: dict[str, dict[str, Any] | None] = Field(
        description="per hypothesis (hp, hd): delta-method standard errors of the parameters "
                    "(null where the Hessian is not positive definite)")
    restarts: dict[str, list[ContinuousRestartOut]] = Field(
        description="per hypothesis: every optimiser start and where it ended")
    per_locus: dict[str, ContinuousLocusOut]
    hypotheses: HypothesesInWords
    notes: dict[str, str] = Field(description="loci left out, with the reason")
    provenance: dict[str, Any]


class MixtureLocusLR(Out):
    """The LR at one locus and its log10."""
    lr: Real
    log10_lr: Real


class MixtureCandidateOut(Out):
    """One ranked candidate of a mixture search, with its LR."""
    rank: int
    lab: str
    specimen_id: str
    index: str
    lr: Real
    log10_lr: Real
    restricted: bool = Field(description="another lab's profile: no per-locus LRs")
    match_id: int | None = Field(description="the candidate match recorded (with a trace)")
    per_locus: dict[str, MixtureLocusLR] | None = None


class MixtureRankResponse(Out):
    """A database ranked by a trace's LR (``locard mixture rank --json``)."""

    trace: str | None
    targets: list[str]
    loci: list[str]
    profiles_ranked: dict[str, int]
    purpose: str
    hypotheses: dict[str, str]
    candidates: list[MixtureCandidateOut]
    adventitious_hits: dict[str, Any] = Field(
        description="expected non-contributor hits above the threshold in a database of "
                    "this size, and the suggested threshold")
    expected_adventitious_hits: Real
    suggested_threshold: Real
    notes: dict[str, str]
    provenance: dict[str, Any]


class ContinuousMixtureCandidateOut(Out):
    """One candidate of a continuous-model ranking: ``lr_fixed`` at the Hd-fitted parameters
    (``== prod(per_locus_fixed)``), ``lr`` the refitted maximum-likelihood LR (null beyond the
    refitted ``refit``); per-locus values and parameters only for the caller's own lab."""
    rank: int
    lab: str
    specimen_id: str
    index: str
    slot: int = Field(description="the contributor slot of Hp the candidate fills best")
    lr_fixed: Real = Field(description="the LR at the Hd-fitted parameters")
    log10_lr_fixed: Real
    lr: Real = Field(description="the refitted LR, max L(Hp) / max L(Hd); null if not refitted")
    log10_lr: Real
    refitted: bool
    restricted: bool = Field(description="another lab's profile: no per-locus LRs, no "
                                         "parameters")
    match_id: int | None = Field(description="the candidate match recorded (with a trace)")
    per_locus_fixed: dict[str, MixtureLocusLR] | None = None
    per_locus: dict[str, MixtureLocusLR] | None = Field(
        None, description="the refitted per-locus LRs (null if not refitted)")
    parameters: ContinuousHypothesisPair | None = Field(
        None, description="the refit's maximum-likelihood parameters (null if not refitted)")


class ContinuousMixtureRankResponse(Out):
    """A database ranked by a trace's continuous-model LR (ProbRank-class; ``"model":
    "continuous"``): the JSON of ``locard mixture rank --json``. Hd is fitted once; every
    allowed profile is scored at the Hd parameters; the best ``refit`` are refitted by maximum
    likelihood and listed first, by the refitted LR."""

    model: str = Field(description="'continuous'")
    trace: str | None
    targets: list[str]
    loci: list[str]
    profiles_ranked: dict[str, int]
    purpose: str
    hypotheses: dict[str, str]
    hd_parameters: ContinuousParametersOut = Field(description="the maximum-likelihood "
                                                               "parameters of Hd")
    hd_loglik: Real = Field(description="natural log of the likelihood at the Hd maximum")
    refit: int = Field(description="how many of the best candidates were refitted")
    candidates: list[ContinuousMixtureCandidateOut]
    notes: dict[str, str]
    provenance: dict[str, Any]


# --- audit ------------------------------------------------------------------------------------


class AuditEntryOut(Out):
    """One audit-log entry: sequence number, time, who, action and purpose."""
    seq: int
    at: str
    user: str | None
    role: str | None
    lab: str | None
    action: str
    purpose: str | None
    details: dict[str, Any]
    prev_hash: str
    entry_hash: str


class AuditResponse(Out):
    """A page of the reader's lab's audit log: newest first (oldest first with ``after``);
    ``next`` is the cursor of the next page (pass it as ``before``, or as ``after`` when
    paging forward), null on the last page."""

    entries: list[AuditEntryOut]
    next: int | None = None


class AuditVerifyResponse(Out):
    """Body of an audit-chain check: whether it verified and how many entries."""
    verified: bool
    entries: int


# --- raw CE runs ------------------------------------------------------------------------------


class CeLadderLocusOut(Out):
    """One locus of the allelic ladder: alleles found of those the kit defines, the fit and
    its ladder-quality problems (spikes, extra peaks, spacing, weak alleles)."""

    found: int
    expected: int
    note: str
    problems: list[str]


class CeLadderOut(Out):
    """The ladder run's account (``LadderResult.to_dict``)."""

    file: str
    found: int
    expected: int
    loci: dict[str, CeLadderLocusOut]


class CeLocusOut(Out):
    """The called alleles at one locus with their heights (RFU), sizes (bp) and areas."""

    alleles: list[str]
    heights: list[float]
    sizes: list[float]
    areas: list[float]


class CeFlagOut(Out):
    """One flag: the rule, the locus and peak it names (None for a sample-wide flag) and why."""

    rule: str
    locus: str | None
    peak: str | None
    message: str


class CeVerdictOut(Out):
    """The store's verdict on a sample (``ce_verdict``): the indices it could enter, those
    where it would be local-only, and why the others refuse it."""

    control: bool
    accepted: list[str]
    local_only: list[str]
    refused: dict[str, list[str]]
    reason: str | None = None


class CeSampleOut(Out):
    """One analysed run (``SampleAnalysis.to_dict`` with the verdict), or a run that could not
    be analysed (``error`` set, nothing else)."""

    file: str
    sample: str | None
    kit: str | None = None
    loci: dict[str, CeLocusOut]
    flags: list[str]
    flag_details: list[CeFlagOut] | None = None
    control: str | None = None
    provenance: dict[str, Any] | None = None
    verdict: CeVerdictOut | None = None
    error: str | None = None


class CeAnalyzeResponse(Out):
    """The JSON of ``locard ce analyze --json``: the kit, the ladder's account and each run."""

    kit: str
    ladder: CeLadderOut
    samples: list[CeSampleOut]
