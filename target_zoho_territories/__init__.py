"""Singer target that writes Zoho CRM user-territory assignments."""
