"""The Singer glue the tap and the target share: connection settings, secret redaction, CLI."""
