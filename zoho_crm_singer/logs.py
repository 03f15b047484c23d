"""What the plugins log at INFO: the SDK's routine notices and its METRIC lines moved to DEBUG.

A run at INFO should say what a person needs (a start line, progress, warnings to act on, one
summary). The SDK logs, at INFO or WARNING, notices that are either routine or already said
better by the plugins: one line per stream and per child partition, the starting bookmark
twice, a warning that the tap forces full table on a parent of a selected child (it must: the
child's partitions come from every parent record), one that an unsorted stream cannot resume
mid-stream (the tap's resume marker works per stream), and an ERROR before every failure that
the plugins then explain in one line. Those are logged at DEBUG here, unchanged otherwise.

METRIC lines (one or two per partition) are logged when LOGLEVEL is DEBUG, or when a logging
config (`SINGER_SDK_LOG_CONFIG`) gives the `singer_sdk.metrics` logger a handler of its own.
singer-sdk 0.54.9 sets that logger's level to the plugin's LOGLEVEL when a plugin is made
(`PluginBase.__init__`); its docs mention a `metrics_log_level` setting, but 0.54.9 reads none.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, ClassVar

from singer_sdk import metrics
from singer_sdk.plugin_base import PluginBase

# The SDK's format strings (`record.msg`) logged at DEBUG instead; tests/unit/test_sdk_contract.py
# checks that each still occurs in the SDK's source.
DEMOTED = frozenset(
    {
        # PluginBase.__init__, on every run without --config ENV.
        "Skipping parse of env var settings...",
        # Tap.load_streams, once per child stream.
        "Added '%s' as child stream to '%s'",
        # Tap._set_compatible_replication_methods: a parent of a selected child is read in full.
        "Stream descendent '%s' is selected and its parent '%s' does not use inclusive "
        "replication keys. Forcing full table replication for '%s'.",
        # Tap.sync_all: the start line lists the streams that are read.
        "Skipping deselected stream '%s'.",
        # Stream.sync, once per stream and once per child partition; the start line lists the
        # streams and how each is read, the progress lines how far they are.
        "Beginning sync of '%s' in %s mode",
        "Beginning sync of '%s' in %s mode with context keys: %s",
        # The state manager, once when the tap asks Zoho and once when the SDK starts the stream;
        # the start line says where each incremental stream starts.
        "Starting incremental sync of '%s' with bookmark value: %s",
        # The SDK's state helper, for every incremental stream: Zoho lists are not sorted by
        # modified_time, and a stopped run resumes per stream (the tap's resume marker).
        "Stream is assumed to be unsorted, progress is not resumable if interrupted",
        # Stream.sync before an error propagates; the plugin then logs one line saying why.
        "An unhandled error occurred while syncing '%s'",
        # Target._process_activate_version_message, per stream and run: the target keeps no
        # table versions (AssignmentSink.activate_version), so the metadata changes nothing.
        "The `ACTIVATE_VERSION` feature uses the `_sdc_deleted_at` and "
        "`_sdc_deleted_at` metadata properties so they will be added to "
        "the schema for '%s' even though `add_record_metadata` is "
        "disabled.",
    }
)
# The loggers the SDK logs those notices on, besides the plugin's and its streams' loggers.
SDK_LOGGER = "singer_sdk"


class QuietNotices(logging.Filter):
    """A logger filter: the SDK's routine notices (`DEMOTED`) become DEBUG records.

    A demoted record is dropped unless its logger is enabled for DEBUG.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Demote a routine notice; let every other record through as it is."""
        if record.levelno <= logging.DEBUG or record.msg not in DEMOTED:
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


_QUIET = QuietNotices()


def quiet_sdk_notices(loggers: Iterable[logging.Logger]) -> None:
    """Install the filter on `loggers` and on the SDK's own logger (once each)."""
    for logger in (*loggers, logging.getLogger(SDK_LOGGER)):
        if _QUIET not in logger.filters:
            logger.addFilter(_QUIET)


def metrics_at_debug(plugin_logger: logging.Logger) -> None:
    """METRIC lines only at DEBUG, unless a logging config gave the metrics logger a handler.

    Call after the SDK made the plugin (it sets the metrics logger's level then).
    """
    logger = metrics.get_metrics_logger()
    if logger.handlers or plugin_logger.isEnabledFor(logging.DEBUG):
        return
    logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))


class QuietLogs(PluginBase):
    """Plugin mixin: the SDK's routine notices at DEBUG, METRIC lines only at DEBUG.

    `child_loggers` names the plugin logger's children the SDK logs on (the tap's streams).
    """

    child_loggers: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        quiet_sdk_notices([self.logger, *(self.logger.getChild(n) for n in self.child_loggers)])
        super().__init__(*args, **kwargs)
        metrics_at_debug(self.logger)
