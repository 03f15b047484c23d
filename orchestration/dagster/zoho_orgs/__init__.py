"""Many Zoho orgs on Dagster: one partition per org of orgs.yml, each a `meltano run`."""
