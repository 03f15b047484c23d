"""Round trip: territory membership copied from one Zoho org to another by Meltano.

`meltano run tap-zoho-territories--assignments target-zoho-territories--mirror` (both inherited
plugins of the repo's meltano.yml): the tap reads `territory_users` from org A, the target's
stream map renames `id` to `user_id`, and mode `mirror` makes every user named in the input
hold exactly their territories of A in org B.

Why mirror: `territory_users` lists the assignments that exist, never the ones that do not,
so in mode `apply` the records could only add. Mirror treats them as each named user's complete
wanted set, reads those users' territories in B and writes only the difference, adds and
removes. (The alternative, computing removes + adds outside and feeding records with
`action: remove`, needs a read of B first: what mirror does.)

Org B starts as the same generated org as A, then its assignments are changed through the API:
some users lose a territory, some gain one, and one user who has no territory in A gains one.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.api import ZohoApi
from tests.support.meltano_project import jsonl, project_for
from tests.support.mirror_calls import assert_read_the_cheaper_way
from tests.support.secrets_check import assert_no_secrets, emulator_tokens
from zoho_crm_emulator.process import EmulatorProcess

ORG = ("--territories", "15", "--users", "80", "--groups", "3", "--seed", "23")


def territories_by_user(org: dict[str, Any]) -> dict[str, set[str]]:
    held: dict[str, set[str]] = defaultdict(set)
    for pair in org["assignments"]:
        held[pair["user_id"]].add(pair["territory_id"])
    return dict(held)


def change_destination(org: dict[str, Any], api: ZohoApi) -> dict[str, Any]:
    """Remove and add some assignments in org B; return what was done."""
    rng = random.Random(5)
    root, me = org["root_territory_id"], org["current_user_id"]
    managed = {(t["manager"]["id"], t["id"]) for t in org["territories"] if t.get("manager")}
    editable = sorted(
        u["id"] for u in org["users"] if u["status"] == "active" and u["confirm"] and u["id"] != me
    )
    held = territories_by_user(org)
    all_territories = sorted(t["id"] for t in org["territories"] if t["id"] != root)

    removable = [
        (uid, tid)
        for uid in editable
        for tid in sorted(held.get(uid, ()))
        if tid != root and (uid, tid) not in managed
    ]
    removed = rng.sample(removable, 4)
    named = [uid for uid in editable if uid in held and uid not in {u for u, _ in removed}]
    added = [
        (uid, rng.choice([t for t in all_territories if t not in held[uid]]))
        for uid in rng.sample(named, 4)
    ]
    unnamed = next(uid for uid in editable if uid not in held)
    outsider = (unnamed, all_territories[0])

    for uid, tid in removed:
        answer = api.delete(f"/users/{uid}/territories/{tid}")
        assert answer.status_code == 200, answer.text
    for uid, tid in [*added, outsider]:
        answer = api.put(f"/users/{uid}/territories", json={"territories": [{"id": tid}]})
        assert answer.status_code == 200, answer.text
    return {"removed": removed, "added": added, "outsider": outsider}


def test_mirror_copies_membership_between_orgs(
    tmp_path: Path, zoho_api: Callable[..., ZohoApi]
) -> None:
    with EmulatorProcess(*ORG) as source, EmulatorProcess(*ORG) as destination:
        org_a = source.state()
        assert destination.state()["assignments"] == org_a["assignments"]
        changes = change_destination(org_a, zoho_api(destination))
        before = {(p["user_id"], p["territory_id"]) for p in destination.state()["assignments"]}
        pairs_a = {(p["user_id"], p["territory_id"]) for p in org_a["assignments"]}
        assert before == (pairs_a - set(changes["removed"])) | {
            *changes["added"],
            changes["outsider"],
        }

        results = tmp_path / "mirror-results.jsonl"
        project = project_for(
            tmp_path,
            TAP_ZOHO_TERRITORIES_ACCOUNTS_SERVER=source.url,
            TARGET_ZOHO_TERRITORIES__MIRROR_ACCOUNTS_SERVER=destination.url,
            TARGET_ZOHO_TERRITORIES__MIRROR_RESULTS_PATH=str(results),
        )
        destination.reset_stats()
        project.meltano(
            "run", "tap-zoho-territories--assignments", "target-zoho-territories--mirror"
        ).check()

        after = territories_by_user(destination.state())
        wanted = territories_by_user(org_a)
        # Every user named in A's territory_users holds exactly their territories of A ...
        assert {uid: after.get(uid, set()) for uid in wanted} == wanted
        # ... and a user that A's records do not name is left alone.
        outsider_uid, outsider_tid = changes["outsider"]
        assert after[outsider_uid] == {outsider_tid}

        # One result line per record, plus one per removal no record asked for.
        assert_no_secrets(
            results.read_text(), tokens=emulator_tokens(destination.url), where="the results"
        )
        lines = jsonl(results)
        outcomes = Counter(line["outcome"] for line in lines)
        assert outcomes == {
            "added": len(changes["removed"]),
            "removed": len(changes["added"]),
            "unchanged": len(pairs_a) - len(changes["removed"]),
        }
        assert sum(1 for line in lines if line["record"] is None) == len(changes["added"])
        # The source was only read; the destination got the cheaper reads and its writes.
        assert source.state()["assignments"] == org_a["assignments"]
        calls = destination.stats()["requests"]
        assert_read_the_cheaper_way(
            calls, territories=len(destination.state()["territories"]), named_users=len(wanted)
        )
        writes = sum(n for key, n in calls.items() if key.split()[0] in ("PUT", "DELETE"))
        assert 0 < writes <= len(changes["removed"]) + len(changes["added"])
