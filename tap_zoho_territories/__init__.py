"""Singer tap for Zoho CRM territories, and the Zoho client shared with the target."""
