"""Records in: one sink per stream, all feeding the run's one batch of assignments.

A stream whose schema declares `user_id` and `territory_id` is an assignment stream: its records
are checked against the record contract (not the SDK's jsonschema validation, so that a bad
record is rejected with a reason instead of stopping the run) and buffered in input order. Other
streams are ignored, with one warning each: their records are counted, not validated against
their schema (a record off its own schema in a stream the target does not write must not stop
the run, and validating the tap's 5,000 users cost 9 s of a 10 s run); only the SDK's cheap
key-property check still applies to them, as its standard target tests expect.
"""

from __future__ import annotations

import typing as t

from singer_sdk.sinks import BatchSink
from typing_extensions import override

from target_zoho_territories.records import is_assignment_schema, read_assignment

if t.TYPE_CHECKING:
    from target_zoho_territories.target import TargetZohoTerritories

_SDC_KEEP = "_sdc_deleted_at"


class AssignmentSink(BatchSink):
    """Checks and buffers assignment records; ignores records of other streams."""

    # The planner finds the fewest calls among the changes it sees at once: 20,000 changes
    # planned as two batches of the SDK's default 10,000 took 3,601 calls, as one batch 1,993.
    # An assignment is a few hundred bytes, so 100,000 fit comfortably in memory.
    MAX_SIZE_DEFAULT = 100_000

    def __init__(
        self,
        target: TargetZohoTerritories,
        stream_name: str,
        schema: dict,
        key_properties: t.Sequence[str] | None,
    ) -> None:
        self.zoho_target = target
        self.engine = target.engine
        self.is_assignment = is_assignment_schema(schema)
        if self.is_assignment:
            self.engine.assignment_streams.add(stream_name)
        super().__init__(target, stream_name, schema, key_properties)

    @override
    def activate_version(self, new_version: int) -> None:
        """Nothing to do: assignments are written record by record, with no table versions.

        (The tap ends each full-table stream with ACTIVATE_VERSION; the SDK would warn that it
        is not implemented on every clean run.)
        """
        self.logger.debug("ACTIVATE_VERSION %s of '%s' ignored.", new_version, self.stream_name)

    @override
    def _remove_sdc_metadata_from_record(self, record: dict) -> None:
        """Keep `_sdc_deleted_at` on assignment records: it means remove."""
        # SDK internal, listed in tests/unit/test_sdk_contract.py.
        kept = record.get(_SDC_KEEP) if self.is_assignment else None
        super()._remove_sdc_metadata_from_record(record)
        if kept is not None:
            record[_SDC_KEEP] = kept

    @override
    def _validate_and_parse(self, record: dict) -> dict:
        """Kept as received: assignments are checked by the record contract, others ignored."""
        # SDK internal, listed in tests/unit/test_sdk_contract.py.
        return record

    @override
    def _singer_validate_message(self, record: dict) -> None:
        """A missing key field is a rejection with a reason, not a crash."""
        # SDK internal, listed in tests/unit/test_sdk_contract.py.
        if not self.is_assignment:
            super()._singer_validate_message(record)

    @override
    def process_record(self, record: dict, context: dict) -> None:
        """Check one record and add it to the batch."""
        if not self.is_assignment:
            self.engine.ignore(self.stream_name)
            return
        line = self.zoho_target.message_reader_line()
        self.engine.add(read_assignment(self.stream_name, line, record))

    @property
    @override
    def is_full(self) -> bool:
        """The run's batch (all assignment streams together) has `batch_size_rows` records."""
        return (
            self.is_assignment and not self.engine.mirror and self.engine.pending >= self.max_size
        )

    @override
    def process_batch(self, context: dict) -> None:
        """Write the batch; then STATE may follow, as every record read has its answer."""
        if not self.is_assignment:
            return
        # Records of a BATCH message's files arrive here, not through process_record.
        line = self.zoho_target.message_reader_line()
        for record in context.get("records") or []:
            self.engine.add(read_assignment(self.stream_name, line, record))
        self.engine.flush()
        self.zoho_target.checkpoint()
