"""Write calls to Zoho, in parallel, and give every change its outcome.

Each per-item answer is matched to its change by `details.id` or by the index in
`details.json_path`. Items that cannot be matched (E7/E12 error items carry empty `details`,
zoho-api.md §7 note 14) are settled by reading the truth back (E10 or E5), never by position.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from target_zoho_territories.errors import Interrupted, RunAborted, StopRequest
from target_zoho_territories.planner import VIA_USER, Call, Change
from target_zoho_territories.reads import HeldTerritory, territory_users, user_territories
from target_zoho_territories.records import (
    ADD,
    ADDED,
    FAILED,
    NOT_SENT,
    REMOVED,
    SUPERSEDED,
    UNCHANGED,
)
from zoho_crm_api import endpoints
from zoho_crm_api.client import ZohoClient
from zoho_crm_api.errors import (
    ZohoAccessError,
    ZohoAPIError,
    ZohoAuthError,
    ZohoBudgetExhausted,
    ZohoCreditsExhausted,
    ZohoRetriesExhausted,
)

_NOT_LINKED = re.compile(
    r"not (linked|associated|a member|assigned)|no longer associated|is not mapped", re.I
)
_INDEX = re.compile(r"\[(\d+)\]")


def is_not_linked(item: dict[str, Any]) -> bool:
    """True for Zoho's per-item "the territory/user is not associated" answer to a remove."""
    return item.get("status") != "success" and bool(_NOT_LINKED.search(str(item.get("message"))))


def _refusal_kind(item: dict[str, Any]) -> str:
    """`organi` or `manager` for Zoho's organisation-territory and manager refusals, else ''."""
    text = str(item.get("message", "")).lower()
    return next((word for word in ("organi", "manager") if word in text), "")


def fatal_code(exc: BaseException) -> str:
    """The code reported for records caught by an error that stops the run."""
    if isinstance(exc, ZohoAPIError):
        return exc.code
    if isinstance(exc, ZohoRetriesExhausted):
        return "RETRIES_EXHAUSTED"
    if isinstance(exc, ZohoBudgetExhausted):
        return "BUDGET_EXHAUSTED"
    if isinstance(exc, ZohoCreditsExhausted):
        return "CREDITS_EXHAUSTED"
    if isinstance(exc, ZohoAuthError):
        return "AUTH_FAILED"
    return type(exc).__name__


def run_parallel(
    tasks: Sequence[Callable[[], None]],
    workers: int,
    on_fatal: Callable[[str], None],
    stop: StopRequest | None = None,
) -> None:
    """Run tasks on `workers` threads; after the first fatal error, later tasks do not start.

    A task records its own outcomes; an exception it raises is fatal and is re-raised (as
    RunAborted) once every running task has finished. Once `stop` is set (SIGTERM), tasks
    already running finish and later ones do not start (Interrupted). `on_fatal(reason)`
    answers what was not done.
    """
    abort = threading.Event()
    errors: list[BaseException] = []
    skipped: list[Callable[[], None]] = []

    def guarded(task: Callable[[], None]) -> None:
        if abort.is_set():
            return
        if stop is not None and stop.is_set():
            skipped.append(task)
            return
        try:
            task()
        except Exception as exc:
            errors.append(exc)
            abort.set()

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(guarded, tasks))
    if not errors and skipped and stop is not None:
        on_fatal(f"not sent: {stop.reason} before this call was sent; re-running is safe")
        msg = (
            f"{stop.reason}: the calls in flight finished, {len(skipped)} call(s) were not "
            "sent (their records failed with NOT_SENT); no STATE was emitted for this batch"
        )
        raise Interrupted(msg)
    if errors:
        on_fatal(
            "not sent: the run stopped before this call (see the error above); re-running is safe"
        )
        first = errors[0]
        if isinstance(first, RunAborted):
            raise first
        message = str(first)
        if isinstance(first, ZohoAccessError):
            message += f" Needed: {first.what_to_enable}."
        raise RunAborted(message) from first


class CallReads:
    """What Zoho holds for one call's path id, read at most once, after the call."""

    def __init__(self, client: ZohoClient, call: Call) -> None:
        self.client = client
        self.call = call
        self.held: dict[str, dict[str, HeldTerritory]] = {}
        self._present: set[tuple[str, str]] | None = None
        # Pairs refused because Zoho does not know one of their ids: never "as wanted".
        self.unknown: set[tuple[str, str]] = set()

    @property
    def source(self) -> str:
        """The read endpoint, for messages."""
        read = (
            endpoints.USER_TERRITORIES if self.call.via == VIA_USER else endpoints.TERRITORY_USERS
        )
        return read.route

    def present(self) -> set[tuple[str, str]]:
        """The call's pairs that Zoho holds now (E10 for a user call, E5 for a territory call)."""
        if self._present is None:
            key = self.call.key
            if self.call.via == VIA_USER:
                self.held[key] = user_territories(self.client, key)
                self._present = {(key, t) for t in self.held[key]}
            else:
                self._present = {(u, key) for u in territory_users(self.client, key)}
        return self._present

    def territory(self, change: Change) -> HeldTerritory | None:
        """The change's territory as its user holds it (E10), or None."""
        if change.user_id not in self.held:
            self.held[change.user_id] = user_territories(self.client, change.user_id)
        return self.held[change.user_id].get(change.territory_id)


class Writer:
    """Sends planned calls and decides the outcome of each change."""

    def __init__(
        self,
        client: ZohoClient,
        logger: logging.Logger,
        workers: int,
        stop: StopRequest | None = None,
    ) -> None:
        self.client = client
        self.logger = logger
        self.workers = workers
        self.stop = stop

    def run(self, calls: Sequence[Call]) -> None:
        """Send every call (in parallel); raise RunAborted after a fatal error.

        Changes whose call was never sent are `failed` with code NOT_SENT.
        """

        def make(call: Call) -> Callable[[], None]:
            return lambda: self.send(call)

        def not_sent(reason: str) -> None:
            for call in calls:
                for change in call.changes:
                    change.result.decide(FAILED, NOT_SENT, reason, call.endpoint)

        run_parallel([make(call) for call in calls], self.workers, not_sent, self.stop)

    def send(self, call: Call) -> None:
        """One write call and its outcomes; raises only errors that stop the run."""
        ids = [call.item_id(change) for change in call.changes]
        wrapper = call.api.envelope
        kwargs: dict[str, Any]
        if call.action == ADD:
            kwargs = {"json": {wrapper: [{"id": item} for item in ids]}}
        else:
            kwargs = {"params": {"ids": ",".join(ids)}}
        reads = CallReads(self.client, call)
        try:
            answer = self.client.request(call.api, path={"id": call.key}, **kwargs)
        except ZohoAccessError as exc:
            self._fail_all(call, exc.code, str(exc))
            raise
        except ZohoAPIError as exc:
            # A top-level error (own user NOT_ALLOWED, unknown id in the path, LIMIT_EXCEEDED):
            # Zoho refused the whole call.
            self._fail_all(call, exc.code, exc.message)
        except Exception as exc:
            self._fail_all(
                call,
                fatal_code(exc),
                f"{exc} (the call may or may not have been applied; re-running is safe)",
            )
            raise
        else:
            items = (answer.body or {}).get(wrapper)
            self._match(call, ids, items if isinstance(items, list) else [], reads)
            if answer.lost:
                self._note_lost_answer(call, answer.lost)
        self._verify_refusals(call, reads)

    @staticmethod
    def _note_lost_answer(call: Call, lost: str) -> None:
        """Say so when a retry found the change in place after an attempt whose answer was lost.

        Zoho may have applied the lost attempt, so "already assigned" (or "not linked") on the
        retry may be this run's own change: the outcome stays `unchanged` (the org is as
        wanted), and the message does not pretend to know who made the change.
        """
        for change in call.changes:
            result = change.result
            if result.outcome != UNCHANGED or result.code == SUPERSEDED:
                continue
            already = result.code == "DUPLICATE_DATA" or bool(
                _NOT_LINKED.search(result.message or "")
            )
            if already:
                result.revise(
                    UNCHANGED,
                    f"{result.message} (an earlier attempt of this call got no answer: {lost}; "
                    "Zoho may have applied it, so this run may have made this change itself; "
                    "either way the org is as wanted)",
                )

    def _fail_all(self, call: Call, code: str, message: str) -> None:
        for change in call.changes:
            change.result.decide(FAILED, code, message, call.endpoint)

    def _match(self, call: Call, ids: list[str], items: list[Any], reads: CallReads) -> None:
        by_id = {call.item_id(change): change for change in call.changes}
        decided: set[str] = set()
        loose: list[dict[str, Any]] = []
        for item in items:
            if not isinstance(item, dict):
                continue
            raw_details = item.get("details")
            details: dict[str, Any] = raw_details if isinstance(raw_details, dict) else {}
            key = str(details["id"]) if details.get("id") is not None else None
            if key is None or key not in by_id:
                found = _INDEX.search(str(details.get("json_path") or ""))
                index = int(found.group(1)) if found else -1
                key = ids[index] if 0 <= index < len(ids) else None
            if key is None or key in decided:
                loose.append(item)
                continue
            decided.add(key)
            self._decide(call, by_id[key], item)
        left = [change for key, change in by_id.items() if key not in decided]
        if not left:
            return
        try:
            self._settle_by_read(call, left, loose, reads)
        except Exception as exc:
            message = f"sent, but the answer could not be matched and the check read failed: {exc}"
            for change in left:
                change.result.decide(FAILED, fatal_code(exc), message, call.endpoint)
            if isinstance(exc, ZohoAPIError) and not isinstance(exc, ZohoAccessError):
                return
            raise

    def _decide(self, call: Call, change: Change, item: dict[str, Any]) -> None:
        code = str(item.get("code") or "")
        message = str(item.get("message") or "")
        if item.get("status") == "success" or code == "SUCCESS":
            outcome = ADDED if call.action == ADD else REMOVED
        elif (call.action == ADD and code == "DUPLICATE_DATA") or (
            call.action != ADD and is_not_linked(item)
        ):
            outcome = UNCHANGED
        else:
            outcome = FAILED
        change.result.decide(outcome, code or None, message or None, call.endpoint)

    def _verify_refusals(self, call: Call, reads: CallReads) -> None:
        """A refused change whose pair Zoho already holds as wanted is `unchanged`.

        Zoho checks some rules before it looks for a duplicate (an inactive user, the token's
        own user), so re-sending an assignment that is already in place can be refused; one
        read per call with refusals keeps re-runs idempotent.
        """
        refused = [
            change
            for change in call.changes
            if change.result.outcome == FAILED and change.pair not in reads.unknown
        ]
        if not refused:
            return
        try:
            present = reads.present()
        except ZohoAPIError as exc:
            if isinstance(exc, ZohoAccessError):
                raise
            return  # e.g. the id in the path is unknown: nothing to verify
        for change in refused:
            holds = change.pair in present
            if holds == (call.action == ADD):
                state = "already assigned" if holds else "not assigned"
                change.result.revise(
                    UNCHANGED,
                    f"{state}, as wanted (checked with {reads.source}); Zoho answered: "
                    f"{change.result.message}",
                )

    def _settle_by_read(
        self, call: Call, left: list[Change], loose: list[dict[str, Any]], reads: CallReads
    ) -> None:
        """Decide changes whose items could not be matched, from what Zoho holds now."""
        present = reads.present()
        checked = f"(matched by reading {reads.source} after the call)"
        errors = [item for item in loose if item.get("status") != "success"]
        not_linked = [item for item in errors if is_not_linked(item)]
        refusals = [item for item in errors if not is_not_linked(item)]
        # Each absent pair of a remove got one item; fewer "not linked" items than absent
        # pairs means some of them were refused otherwise (an unknown id): check those.
        absent = [c for c in left if call.action != ADD and c.pair not in present]
        unexplained = [
            i for i in refusals if i.get("code") == "INVALID_DATA" and not _refusal_kind(i)
        ]
        suspicious = bool(unexplained) and len(not_linked) < len(absent)
        for change in left:
            now = change.pair in present
            if call.action == ADD and now:
                duplicate = next((i for i in errors if i.get("code") == "DUPLICATE_DATA"), None)
                if duplicate is not None:
                    self._decided(change, call, UNCHANGED, duplicate, checked)
                else:
                    change.result.decide(ADDED, "SUCCESS", f"assigned {checked}", call.endpoint)
            elif call.action != ADD and not now:
                unknown = self._unknown_id(call, change) if suspicious else None
                if unknown is not None:
                    reads.unknown.add(change.pair)
                    # Not there because Zoho does not know the id: a mistake to report, as it
                    # is when the unknown id is in a call's path.
                    invalid = [i for i in unexplained if "invalid" in str(i.get("message")).lower()]
                    self._decided(change, call, FAILED, (invalid or unexplained)[0], f"({unknown})")
                elif not_linked:
                    self._decided(change, call, UNCHANGED, not_linked[0], checked)
                elif any(item.get("status") == "success" for item in loose):
                    change.result.decide(
                        REMOVED, "SUCCESS", f"not assigned {checked}", call.endpoint
                    )
                else:
                    code = str(errors[0].get("code")) if errors else None
                    change.result.decide(UNCHANGED, code, f"not assigned {checked}", call.endpoint)
            else:
                if call.action == ADD:
                    pool = [i for i in errors if i.get("code") != "DUPLICATE_DATA"]
                else:
                    pool = refusals
                item = self._reason(change, pool, reads)
                if item is None:
                    state = "not assigned" if call.action == ADD else "still assigned"
                    change.result.decide(FAILED, "UNMATCHED", f"{state} {checked}", call.endpoint)
                else:
                    self._decided(change, call, FAILED, item, checked)

    def _unknown_id(self, call: Call, change: Change) -> str | None:
        """Why Zoho refused an unmatched remove of an absent pair, if its item id is unknown.

        E7/E12 error items carry no id, so "not linked" and "invalid id" answers cannot be told
        apart by matching; one read of the item (E2 for a territory, E8 for a user) can.
        """
        if call.via == VIA_USER:
            read, kind, key = endpoints.TERRITORY, "territory", change.territory_id
        else:
            read, kind, key = endpoints.USER, "user", change.user_id
        try:
            self.client.request(read, path={"id": key})
        except ZohoAccessError:
            return None
        except ZohoAPIError as exc:
            if exc.code == "INVALID_DATA":
                return f"Zoho does not know {kind} {key} (checked with {read.route})"
        return None

    @staticmethod
    def _reason(
        change: Change, pool: list[dict[str, Any]], reads: CallReads
    ) -> dict[str, Any] | None:
        """Which of Zoho's unmatched error items explains why this change did not happen."""
        distinct = {(i.get("code"), i.get("message")): i for i in pool}
        if len(distinct) <= 1:
            return next(iter(distinct.values()), None)
        territory = reads.territory(change)
        kind = ""
        if territory is not None and territory.is_root:
            kind = "organi"
        elif territory is not None and territory.manager_id == change.user_id:
            kind = "manager"
        return next((item for item in pool if _refusal_kind(item) == kind), pool[0])

    @staticmethod
    def _decided(
        change: Change, call: Call, outcome: str, item: dict[str, Any], checked: str
    ) -> None:
        message = f"{item.get('message') or ''} {checked}".strip()
        change.result.decide(outcome, str(item.get("code") or "") or None, message, call.endpoint)
