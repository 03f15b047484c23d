"""`python -m target_zoho_territories`."""

from target_zoho_territories.target import TargetZohoTerritories

TargetZohoTerritories.cli()
