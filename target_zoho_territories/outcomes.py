"""Every record's outcome, as pure functions of the action and what Zoho answered or showed.

A change's outcome comes from exactly one of:

- Zoho's per-item answer to the write call (`answered`);
- an error that ended the call (`call_refused` for Zoho's refusal of the whole call,
  `call_failed` for anything else);
- a read after the call (E10 or E5) when no item could be tied to the change (`by_read`),
  when Zoho's answer was not its JSON (`unreadable_by_read`), or to check a refusal
  (`refusal_checked`); a read that failed is never evidence (`read_failed`);
- the target's own reasons: `rejected`, `blank`, `superseded`, `in_place`, `kept`,
  `planned`, `not_sent`, `interrupted`, `mirror_skipped`, `unread`.

`added`, `removed` and `unchanged` are only ever given on a successful answer or a successful
read. docs/target.md's "Outcomes and codes" table lists these cases; tests/unit/test_outcomes.py
checks that the two agree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from zoho_crm_api.errors import (
    ZohoAnswerTooLarge,
    ZohoAPIError,
    ZohoAuthError,
    ZohoBadAnswer,
    ZohoBudgetExhausted,
    ZohoCreditsExhausted,
    ZohoRetriesExhausted,
    ZohoRetryAfterTooLong,
    ZohoStopped,
)

ADD = "add"
REMOVE = "remove"
ACTIONS = (ADD, REMOVE)

# Outcomes, exactly these words.
ADDED = "added"
REMOVED = "removed"
UNCHANGED = "unchanged"
PLANNED = "planned"
REJECTED = "rejected"
FAILED = "failed"
OUTCOMES = (ADDED, REMOVED, UNCHANGED, PLANNED, REJECTED, FAILED)

# Zoho's codes that decide an outcome.
SUCCESS = "SUCCESS"
DUPLICATE_DATA = "DUPLICATE_DATA"

# The target's own codes, for outcomes that no item of Zoho's decided.
INVALID_INPUT = "INVALID_INPUT"
SUPERSEDED = "SUPERSEDED"
IN_PLACE = "IN_PLACE"
KEPT = "KEPT"
NOT_SENT = "NOT_SENT"
MIRROR_SKIPPED = "MIRROR_SKIPPED"
BLANK_ROW = "BLANK_ROW"
UNMATCHED = "UNMATCHED"
BAD_ANSWER = "BAD_ANSWER"
INTERRUPTED = "INTERRUPTED"
RETRIES_EXHAUSTED = "RETRIES_EXHAUSTED"
BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED"
CREDITS_EXHAUSTED = "CREDITS_EXHAUSTED"
AUTH_FAILED = "AUTH_FAILED"
RETRY_AFTER_TOO_LONG = "RETRY_AFTER_TOO_LONG"
ANSWER_TOO_LARGE = "ANSWER_TOO_LARGE"
ERROR_CODES: dict[type[BaseException], str] = {
    ZohoRetriesExhausted: RETRIES_EXHAUSTED,
    ZohoRetryAfterTooLong: RETRY_AFTER_TOO_LONG,
    ZohoAnswerTooLarge: ANSWER_TOO_LARGE,
    ZohoBudgetExhausted: BUDGET_EXHAUSTED,
    ZohoCreditsExhausted: CREDITS_EXHAUSTED,
    ZohoAuthError: AUTH_FAILED,
    ZohoStopped: INTERRUPTED,
    ZohoBadAnswer: BAD_ANSWER,
}
# The codes the target gives itself, by outcome (Zoho's own codes pass through as they are).
OWN_CODES: dict[str, frozenset[str]] = {
    ADDED: frozenset({SUCCESS}),
    REMOVED: frozenset({SUCCESS}),
    UNCHANGED: frozenset({SUPERSEDED, IN_PLACE, KEPT, BAD_ANSWER, BLANK_ROW}),
    PLANNED: frozenset(),
    REJECTED: frozenset({INVALID_INPUT}),
    FAILED: frozenset(
        {NOT_SENT, MIRROR_SKIPPED, UNMATCHED, BAD_ANSWER, INTERRUPTED, *ERROR_CODES.values()}
    ),
}

_NOT_LINKED = re.compile(
    r"not (linked|associated|a member|assigned)|no longer associated|is not mapped", re.I
)
# Zoho's refusals that name why a pair cannot change: the organisation territory, a manager.
ROOT_KIND = "organi"
MANAGER_KIND = "manager"
MAY_HAVE_MADE_IT = "Zoho may have applied it, so this run may have made this change itself"

Item = Mapping[str, Any]


@dataclass(frozen=True)
class Outcome:
    """A record's outcome, with Zoho's (or the target's) code and message, and the endpoint."""

    outcome: str
    code: str | None = None
    message: str | None = None
    endpoint: str | None = None

    @property
    def failed(self) -> bool:
        """True for `failed`."""
        return self.outcome == FAILED


def done(action: str) -> str:
    """`added` or `removed`: the outcome of a change Zoho made."""
    return ADDED if action == ADD else REMOVED


def as_wanted(action: str, holds: bool) -> bool:
    """True when a read showing the pair held (or not) is what the action wants."""
    return holds == (action == ADD)


def _state(holds: bool) -> str:
    return "assigned" if holds else "not assigned"


def is_not_linked(item: Item) -> bool:
    """True for Zoho's per-item "the territory/user is not associated" answer to a remove."""
    return item.get("status") != "success" and bool(_NOT_LINKED.search(str(item.get("message"))))


def is_success(item: Item) -> bool:
    """True for an item saying Zoho made the change."""
    return item.get("status") == "success" or item.get("code") == SUCCESS


def is_already(action: str, item: Item) -> bool:
    """True for an item saying the pair already was as wanted (a duplicate add, or not linked)."""
    if action == ADD:
        return item.get("code") == DUPLICATE_DATA
    return is_not_linked(item)


def refusals(action: str, items: Sequence[Item]) -> list[Item]:
    """The items that refuse a change (neither made nor already as wanted)."""
    return [item for item in items if not is_success(item) and not is_already(action, item)]


def _code(item: Item) -> str | None:
    return str(item.get("code") or "") or None


def _message(item: Item, note: str = "") -> str | None:
    text = f"{item.get('message') or ''} {note}".strip()
    return text or None


def answered(action: str, item: Item, endpoint: str) -> Outcome:
    """Zoho's per-item answer tied to the change: made, already as wanted, or refused."""
    if is_success(item):
        outcome = done(action)
    elif is_already(action, item):
        outcome = UNCHANGED
    else:
        outcome = FAILED
    return Outcome(outcome, _code(item), _message(item), endpoint)


def error_code(exc: BaseException) -> str:
    """The code reported for records caught by an error: Zoho's, or the target's own."""
    if isinstance(exc, ZohoAPIError):
        return exc.code
    for kind, code in ERROR_CODES.items():
        if isinstance(exc, kind):
            return code
    return type(exc).__name__


def call_refused(exc: ZohoAPIError, endpoint: str) -> Outcome:
    """Zoho refused the whole call (an error envelope): `failed` with Zoho's code and message."""
    return Outcome(FAILED, exc.code, exc.message, endpoint)


def call_failed(exc: BaseException, endpoint: str) -> Outcome:
    """An error ended the call without an answer to read (retries, budget, credits, a signal)."""
    return Outcome(
        FAILED,
        error_code(exc),
        f"{exc} (the call may or may not have been applied; re-running is safe)",
        endpoint,
    )


def refusal_checked(action: str, refusal: Outcome, holds: bool, source: str) -> Outcome:
    """A refusal checked by a read: `unchanged` when the pair already is as wanted.

    Zoho checks some rules before it looks for a duplicate (an inactive user, the token's own
    user), so re-sending an assignment already in place can be refused.
    """
    if not as_wanted(action, holds):
        return refusal
    state = "already assigned" if holds else "not assigned"
    return replace(
        refusal,
        outcome=UNCHANGED,
        message=f"{state}, as wanted (checked with {source}); Zoho answered: {refusal.message}",
    )


def by_read(
    action: str,
    holds: bool,
    loose: Sequence[Item],
    reason: Item | None,
    *,
    source: str,
    endpoint: str,
) -> Outcome:
    """A change no item could be tied to (E7/E12 error items carry no id), from a read after it.

    `loose` are the call's items tied to no change; `reason` is the refusal among them that
    explains a change not made (see `explaining_item`).
    """
    checked = f"(matched by reading {source} after the call)"
    if not as_wanted(action, holds):
        if reason is not None:
            return Outcome(FAILED, _code(reason), _message(reason, checked), endpoint)
        told = "; ".join(str(i.get("message")) for i in distinct(refusals(action, loose)))
        told = f"; Zoho refused items of this call with: {told}" if told else ""
        return Outcome(FAILED, UNMATCHED, f"still {_state(holds)} {checked}{told}", endpoint)
    already = next((item for item in loose if is_already(action, item)), None)
    if already is not None:
        return Outcome(UNCHANGED, _code(already), _message(already, checked), endpoint)
    if action == ADD or any(is_success(item) for item in loose):
        return Outcome(done(action), SUCCESS, f"{_state(holds)} {checked}", endpoint)
    errors = [item for item in loose if not is_success(item)]
    code = _code(errors[0]) if errors else None
    return Outcome(UNCHANGED, code, f"{_state(holds)} {checked}", endpoint)


def unreadable_by_read(
    action: str, holds: bool, problem: str, source: str, endpoint: str
) -> Outcome:
    """A write whose answer was not Zoho's JSON, settled by a read after it.

    Zoho may have applied the call: a pair as wanted is `unchanged` (this run may have made
    it; nobody can tell), one not as wanted is `failed`.
    """
    seen = f"{problem}; {source} after it shows it {_state(holds)}"
    if as_wanted(action, holds):
        return Outcome(UNCHANGED, BAD_ANSWER, f"{seen}, as wanted ({MAY_HAVE_MADE_IT})", endpoint)
    return Outcome(
        FAILED, BAD_ANSWER, f"{seen}: the change was not made; re-running is safe", endpoint
    )


def read_failed(why: str, exc: BaseException, endpoint: str) -> Outcome:
    """The read that would have settled the change failed: never evidence, so `failed`."""
    return Outcome(
        FAILED,
        error_code(exc),
        f"{why}, and the check read failed: {exc} (the change may or may not have been made; "
        "re-running is safe)",
        endpoint,
    )


def unread(exc: BaseException, endpoint: str, scope: str = "user") -> Outcome:
    """Mirror mode: what a user (territory) holds could not be read, so nothing is written."""
    held = "user's territories" if scope == "user" else "territory's users"
    return Outcome(
        FAILED,
        error_code(exc),
        f"not mirrored: this {held} could not be read ({exc}); nothing was written for this "
        f"{scope}; re-running is safe",
        endpoint,
    )


def unknown_id(reason: Item, note: str, endpoint: str) -> Outcome:
    """A remove refused because Zoho does not know the item's id (checked with a read)."""
    return Outcome(FAILED, _code(reason), _message(reason, f"({note})"), endpoint)


def lost_answer(outcome: Outcome, lost: str) -> Outcome:
    """After a retry: "already as wanted" may be this run's own lost attempt; say so."""
    already = outcome.code == DUPLICATE_DATA or bool(_NOT_LINKED.search(outcome.message or ""))
    if outcome.outcome != UNCHANGED or not already:
        return outcome
    return replace(
        outcome,
        message=f"{outcome.message} (an earlier attempt of this call got no answer: {lost}; "
        f"{MAY_HAVE_MADE_IT}; either way the org is as wanted)",
    )


def refusal_kind(item: Item) -> str:
    """`ROOT_KIND` or `MANAGER_KIND` for Zoho's organisation-territory and manager refusals."""
    text = str(item.get("message", "")).lower()
    return next((word for word in (ROOT_KIND, MANAGER_KIND) if word in text), "")


def distinct(items: Sequence[Item]) -> list[Item]:
    """Items with different codes or messages (the first of each)."""
    seen: dict[tuple[Any, Any], Item] = {}
    for item in items:
        seen.setdefault((item.get("code"), item.get("message")), item)
    return list(seen.values())


def explaining_item(refusals: Sequence[Item], kind: str | None) -> Item | None:
    """Which of a call's untied refusals explains a change not made.

    One kind of refusal explains every change; among several, the one of the change's kind
    (`ROOT_KIND` when its territory is the organisation's, `MANAGER_KIND` when its user
    manages it, "" otherwise). When the kind is not known (None), none is picked.
    """
    options = distinct(refusals)
    if len(options) <= 1:
        return options[0] if options else None
    if kind is None:
        return None
    return next((item for item in options if refusal_kind(item) == kind), options[0])


# The target's own outcomes.


def rejected(reason: str) -> Outcome:
    """The record breaks the record contract; never sent."""
    return Outcome(REJECTED, INVALID_INPUT, reason)


def blank() -> Outcome:
    """A record with no values at all (an empty spreadsheet row): nothing to do."""
    return Outcome(
        UNCHANGED, BLANK_ROW, "a blank record (no user_id, no territory_id): nothing to do"
    )


def superseded(line: int | None, stream: str, action: str | None) -> Outcome:
    """A later record of the batch for the same pair decides; this one is not sent."""
    where = f"line {line}" if line is not None else "a later record"
    return Outcome(
        UNCHANGED,
        SUPERSEDED,
        f"superseded by the record on {where} (stream {stream}, action {action}) for the same "
        "user and territory",
    )


def in_place(action: str, endpoint: str) -> Outcome:
    """Mirror mode: the read before writing shows the pair already as wanted."""
    return Outcome(
        UNCHANGED,
        IN_PLACE,
        f"already {_state(action == ADD)} (read before writing)",
        endpoint,
    )


def kept(reason: str, endpoint: str) -> Outcome:
    """Mirror mode: a held territory it never removes (the organisation's, or managed)."""
    return Outcome(UNCHANGED, KEPT, reason, endpoint)


def planned(action: str, number: int, total: int, url_path: str, endpoint: str) -> Outcome:
    """Dry run: the call that would carry the change."""
    message = f"dry run: would {action} with call {number} of {total}, {url_path}"
    return Outcome(PLANNED, None, message, endpoint)


def not_sent(reason: str, endpoint: str | None = None) -> Outcome:
    """The run stopped before the change was sent."""
    return Outcome(FAILED, NOT_SENT, reason, endpoint)


def interrupted(why: str) -> Outcome:
    """The run stopped while the change's call may have been in flight: nobody knows."""
    return Outcome(
        FAILED,
        INTERRUPTED,
        f"{why}: the change may or may not have been made; re-running is safe",
    )


def mirror_skipped(line: int | None, scope: str = "user") -> Outcome:
    """Mirror mode: another record of the user (territory) was rejected: wanted set unknown."""
    wanted = "territories" if scope == "user" else "users"
    return Outcome(
        FAILED,
        MIRROR_SKIPPED,
        f"{scope} not mirrored: the record on line {line} for this {scope} was rejected, so the "
        f"wanted set of {wanted} is not known; fix it and re-run",
    )
