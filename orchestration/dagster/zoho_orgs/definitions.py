"""Dagster definitions: the asset `zoho_territories`, one partition per org of orgs.yml.

A run materialises one partition or a range of them (`dagster asset materialize --partition
ORG` or `--partition-range FIRST...LAST`; in the UI, a backfill launched as a single run). Its
graph fans out one `sync_org` step per org of the run; the multiprocess executor runs each
step in a process of its own, up to `meltano.max_parallel` at once, and each step runs that
org's `meltano run` with the org's credentials and state id. A failed org fails its step (and
the run) with the end of Meltano's output; the others finish, and their state is saved.
"""

# No `from __future__ import annotations`: Dagster reads the annotations of ops at run time.
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import dagster as dg

from zoho_orgs.orgs import OrgsError, load, orgs_file
from zoho_orgs.pipeline import MeltanoFailed, migrate_system_database, run_org

FLEET = load(orgs_file())
ORGS = dg.StaticPartitionsDefinition(FLEET.names)


def _failure(exc: MeltanoFailed) -> dg.Failure:
    return dg.Failure(
        description=str(exc),
        metadata={"meltano output (last lines)": dg.MetadataValue.text(exc.tail)},
        allow_retries=False,
    )


@dg.op(out=dg.DynamicOut(str))
def each_org(context: dg.OpExecutionContext) -> Iterator[dg.DynamicOutput[str]]:
    """The system database migrated once, then one output per org partition of this run."""
    try:
        migrate_system_database(FLEET)
    except MeltanoFailed as exc:
        raise _failure(exc) from None
    for name in context.partition_keys:
        yield dg.DynamicOutput(name, mapping_key=name)


@dg.op
def sync_org(context: dg.OpExecutionContext, org: str) -> dict[str, Any]:
    """Run the org's Meltano pipeline in this step's process."""
    try:
        done = run_org(FLEET, FLEET.org(org))
    except OrgsError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    except MeltanoFailed as exc:
        raise _failure(exc) from None
    context.log.info(
        f"org {org}: {done.command} finished in {done.seconds} s (state id {done.state_id})"
    )
    return asdict(done)


@dg.op
def report(context: dg.OpExecutionContext, runs: list[dict[str, Any]]) -> None:
    """Every org's run on the materialisation: state id, command, seconds."""
    context.add_output_metadata(
        {
            "orgs": dg.MetadataValue.json(
                {run["org"]: run for run in sorted(runs, key=lambda r: r["org"])}
            )
        }
    )


@dg.graph_asset(
    partitions_def=ORGS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description="Zoho CRM territory data of each org, loaded by its own `meltano run`.",
)
def zoho_territories() -> None:
    """The orgs of the run, each synced by its own step."""
    return report(each_org().map(sync_org).collect())


defs = dg.Definitions(
    assets=[zoho_territories],
    executor=dg.multiprocess_executor.configured({"max_concurrent": FLEET.max_parallel}),
)
