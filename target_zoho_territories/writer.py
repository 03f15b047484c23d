"""Write calls to Zoho, and the outcome of every change they carry.

Each per-item answer is tied to its change by `details.id` or by the index in
`details.json_path`. Changes no item can be tied to (E7/E12 error items carry empty `details`,
zoho-api.md §7 note 14), changes of a call whose answer is not Zoho's JSON, and refused changes
are settled by reading the truth back once per call (E10 or E5), never by position. The outcomes
themselves are decided in `outcomes.py`; the writer only gathers what they are decided from.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Sequence
from functools import partial
from typing import Any

from target_zoho_territories import outcomes as oc
from target_zoho_territories.outcomes import ADD, REMOVE, Outcome
from target_zoho_territories.parallel import Report, Workers, stops_the_run
from target_zoho_territories.planner import VIA_USER, Call, Change
from target_zoho_territories.reads import HeldTerritory, territory_users, user_territories
from zoho_crm_api import endpoints
from zoho_crm_api.client import ZohoClient
from zoho_crm_api.errors import ZohoAccessError, ZohoAPIError, ZohoBadAnswer, ZohoError

_INDEX = re.compile(r"\[(\d+)\]")
Items = list[oc.Item]


def tie(call: Call, items: Sequence[Any]) -> tuple[dict[int, dict[str, Any]], Items]:
    """Zoho's items by the index of the change they answer, and the items tied to none."""
    ids = [call.item_id(change) for change in call.changes]
    index_of = {item_id: n for n, item_id in enumerate(ids)}
    tied: dict[int, dict[str, Any]] = {}
    loose: Items = []
    for item in items:
        if not isinstance(item, dict):
            continue
        raw = item.get("details")
        details: dict[str, Any] = raw if isinstance(raw, dict) else {}
        index = index_of.get(str(details.get("id")), -1) if details.get("id") is not None else -1
        if index < 0:
            found = _INDEX.search(str(details.get("json_path") or ""))
            index = int(found.group(1)) if found and int(found.group(1)) < len(ids) else -1
        if index < 0 or index in tied:
            loose.append(item)
        else:
            tied[index] = item
    return tied, loose


class CallReads:
    """The reads that settle one call's changes, each made at most once, after the call.

    `errors` keeps every read that failed: a failed read is never evidence, and one whose
    error stops the run (`fatal`) stops it.
    """

    def __init__(self, client: ZohoClient, call: Call) -> None:
        self.client = client
        self.call = call
        self.held: dict[str, dict[str, HeldTerritory]] = {}
        self._present: set[tuple[str, str]] | None = None
        self.failed: ZohoError | None = None
        self.errors: list[ZohoError] = []

    @property
    def source(self) -> str:
        """The read endpoint, for messages."""
        read = (
            endpoints.USER_TERRITORIES if self.call.via == VIA_USER else endpoints.TERRITORY_USERS
        )
        return read.route

    @property
    def fatal(self) -> ZohoError | None:
        """The first failed read whose error stops the run."""
        return next((exc for exc in self.errors if stops_the_run(exc)), None)

    def present(self) -> set[tuple[str, str]]:
        """The call's pairs that Zoho holds now (E10 for a user call, E5 for a territory call).

        Read once: a read that failed raises the same error again.
        """
        if self.failed is not None:
            raise self.failed
        if self._present is None:
            key = self.call.key
            try:
                if self.call.via == VIA_USER:
                    self._present = {(key, t) for t in self._user(key)}
                else:
                    self._present = {(u, key) for u in territory_users(self.client, key)}
            except ZohoError as exc:
                self.failed = exc
                self.errors.append(exc)
                raise
        return self._present

    def _user(self, user_id: str) -> dict[str, HeldTerritory]:
        if user_id not in self.held:
            self.held[user_id] = user_territories(self.client, user_id)
        return self.held[user_id]

    def kind(self, change: Change) -> str | None:
        """The change's kind for Zoho's refusals (organisation territory, managed), from E10.

        None when the read fails: then nobody knows.
        """
        try:
            territory = self._user(change.user_id).get(change.territory_id)
        except ZohoError as exc:
            self.errors.append(exc)
            return None
        if territory is not None and territory.is_root:
            return oc.ROOT_KIND
        if territory is not None and territory.manager_id == change.user_id:
            return oc.MANAGER_KIND
        return ""

    def unknown(self, change: Change) -> str | None:
        """Why a remove's item id is unknown to Zoho (E2 for a territory, E8 for a user), or None.

        E7/E12 error items carry no id, so "not linked" and "invalid id" answers cannot be told
        apart by matching; one read of the item can.
        """
        if self.call.via == VIA_USER:
            read, kind, key = endpoints.TERRITORY, "territory", change.territory_id
        else:
            read, kind, key = endpoints.USER, "user", change.user_id
        try:
            self.client.request(read, path={"id": key})
        except ZohoAPIError as exc:
            if exc.code == "INVALID_DATA" and not isinstance(exc, ZohoAccessError):
                return f"Zoho does not know {kind} {key} (checked with {read.route})"
            self.errors.append(exc)
        except ZohoError as exc:
            self.errors.append(exc)
        return None


class Writer:
    """Sends planned calls on the run's workers; returns the outcome of each change."""

    def __init__(self, client: ZohoClient, workers: Workers, logger: logging.Logger) -> None:
        self.client = client
        self.workers = workers
        self.logger = logger

    def run(self, calls: Sequence[Call]) -> Report:
        """Send every call; calls not started (after a fatal error or a stop) are `skipped`."""
        return self.workers.run([partial(self.send, call) for call in calls])

    def send(self, call: Call) -> Report:
        """One write call and the outcomes of its changes; never raises a Zoho error."""
        ids = [call.item_id(change) for change in call.changes]
        kwargs: dict[str, Any]
        if call.action == ADD:
            kwargs = {"json": {call.api.envelope: [{"id": item} for item in ids]}}
        else:
            kwargs = {"params": {"ids": ",".join(ids)}}
        reads = CallReads(self.client, call)
        everyone = set(range(len(ids)))
        try:
            answer = self.client.request(call.api, path={"id": call.key}, **kwargs)
        except ZohoBadAnswer as exc:
            return self._settle_unreadable(call, exc, reads)
        except ZohoAPIError as exc:
            # Zoho refused the whole call: own user NOT_ALLOWED, an unknown id in the path,
            # LIMIT_EXCEEDED; or a missing scope (ZohoAccessError), which stops the run.
            refusal = oc.call_refused(exc, call.endpoint)
            if isinstance(exc, ZohoAccessError):
                return Report([(change.result, refusal) for change in call.changes], exc)
            return self._check_refusals(call, dict.fromkeys(everyone, refusal), everyone, reads)
        except ZohoError as exc:
            failed = oc.call_failed(exc, call.endpoint)
            return Report([(change.result, failed) for change in call.changes], exc)
        items = (answer.body or {}).get(call.api.envelope)
        tied, loose = tie(call, items if isinstance(items, list) else [])
        answers = {n: oc.answered(call.action, item, call.endpoint) for n, item in tied.items()}
        answers.update(self._settle_untied(call, sorted(everyone - set(tied)), loose, reads))
        if answer.lost:
            answers = {n: oc.lost_answer(outcome, answer.lost) for n, outcome in answers.items()}
        return self._check_refusals(call, answers, set(tied), reads)

    def _check_refusals(
        self, call: Call, answers: dict[int, Outcome], check: set[int], reads: CallReads
    ) -> Report:
        """Zoho's refusals (of changes in `check`) whose pair already is as wanted: `unchanged`.

        One read per call, shared with the settling of untied changes; a read that fails
        leaves them `failed`.
        """
        refused = [n for n in sorted(check) if answers[n].failed]
        present: set[tuple[str, str]] = set()
        if refused:
            with contextlib.suppress(ZohoError):
                present = reads.present()
        for n in refused if reads.failed is None else ():
            holds = call.changes[n].pair in present
            answers[n] = oc.refusal_checked(call.action, answers[n], holds, reads.source)
        outcomes = [(call.changes[n].result, answers[n]) for n in sorted(answers)]
        return Report(outcomes, reads.fatal)

    def _settle_untied(
        self, call: Call, untied: list[int], loose: Items, reads: CallReads
    ) -> dict[int, Outcome]:
        """Decide the changes no item was tied to, from what Zoho holds after the call."""
        if not untied:
            return {}
        try:
            present = reads.present()
        except ZohoError as exc:
            why = "sent, but Zoho's answer could not be matched to this record"
            return {n: oc.read_failed(why, exc, call.endpoint) for n in untied}
        refusals = oc.refusals(call.action, loose)
        suspects = self._unknown_id_suspects(call, untied, loose, refusals, present)
        settled: dict[int, Outcome] = {}
        for n in untied:
            change = call.changes[n]
            holds = change.pair in present
            if n in suspects:
                settled[n] = self._unknown_or_gone(call, change, loose, suspects[n], reads)
                continue
            reason = None
            if not oc.as_wanted(call.action, holds):
                several = len(oc.distinct(refusals)) > 1
                reason = oc.explaining_item(refusals, reads.kind(change) if several else "")
            settled[n] = oc.by_read(
                call.action, holds, loose, reason, source=reads.source, endpoint=call.endpoint
            )
        return settled

    @staticmethod
    def _unknown_id_suspects(
        call: Call, untied: list[int], loose: Items, refusals: Items, present: set[tuple[str, str]]
    ) -> dict[int, oc.Item]:
        """Removes of absent pairs that may be refused for an id Zoho does not know.

        Each absent pair of a remove got one item; fewer "not linked" items than absent pairs,
        with an INVALID_DATA refusal that names no rule, means some ids may be unknown. Maps
        each suspect to the refusal that would explain it.
        """
        if call.action != REMOVE:
            return {}
        unexplained = [
            i for i in refusals if i.get("code") == "INVALID_DATA" and not oc.refusal_kind(i)
        ]
        absent = [n for n in untied if call.changes[n].pair not in present]
        not_linked = [i for i in loose if oc.is_not_linked(i)]
        if not unexplained or len(not_linked) >= len(absent):
            return {}
        invalid = [i for i in unexplained if "invalid" in str(i.get("message")).lower()]
        return dict.fromkeys(absent, (invalid or unexplained)[0])

    @staticmethod
    def _unknown_or_gone(
        call: Call, change: Change, loose: Items, reason: oc.Item, reads: CallReads
    ) -> Outcome:
        """An absent pair of a suspect remove: `failed` if Zoho does not know its item id."""
        note = reads.unknown(change)
        if note is not None:
            return oc.unknown_id(reason, note, call.endpoint)
        return oc.by_read(
            call.action, False, loose, None, source=reads.source, endpoint=call.endpoint
        )

    def _settle_unreadable(self, call: Call, exc: ZohoBadAnswer, reads: CallReads) -> Report:
        """Zoho's answer was not its JSON and the call may have been applied: read, then say."""
        problem = f"the answer to {call.url_path} was not Zoho's JSON ({exc.problem})"
        self.logger.warning("%s; checking with %s.", problem, reads.source)
        try:
            present = reads.present()
        except ZohoError as read_exc:
            failed = oc.read_failed(problem, read_exc, call.endpoint)
            return Report([(change.result, failed) for change in call.changes], reads.fatal)
        return Report(
            [
                (
                    change.result,
                    oc.unreadable_by_read(
                        call.action, change.pair in present, problem, reads.source, call.endpoint
                    ),
                )
                for change in call.changes
            ]
        )
