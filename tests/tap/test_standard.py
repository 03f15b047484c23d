"""The singer-sdk standard tap tests, against the sample org served by the emulator."""

from __future__ import annotations

import atexit

from singer_sdk.testing import get_tap_test_class

from tap_zoho_territories.tap import TapZohoTerritories
from tests.support.tap_run import select
from zoho_crm_emulator.process import EmulatorProcess

# The test class is built at collection time with a fixed config, so the emulator starts here.
EMULATOR = EmulatorProcess("--org", "sample").start()
atexit.register(EMULATOR.stop)
CONFIG = EMULATOR.config_for_tap()

# Every stream selected, user_territories (off by default) included, so each one is tested.
CATALOG = TapZohoTerritories(config=CONFIG, parse_env_config=False).catalog_dict
ALL_STREAMS = [entry["tap_stream_id"] for entry in CATALOG["streams"]]

TestTapZohoTerritories = get_tap_test_class(
    TapZohoTerritories,
    config=CONFIG,
    catalog=select(CATALOG, *ALL_STREAMS),
    parse_env_config=False,
)
