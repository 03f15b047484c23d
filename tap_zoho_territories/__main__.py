"""`python -m tap_zoho_territories`."""

from tap_zoho_territories.tap import TapZohoTerritories

TapZohoTerritories.cli()
