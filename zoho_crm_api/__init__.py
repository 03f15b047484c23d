"""The Zoho CRM API layer shared by the tap and the target (no Singer, no click).

`endpoints` lists every endpoint the plugins call; `settings` resolves connection settings;
`auth` holds the OAuth token; `client` sends calls with one retry policy and checks every
answer; `errors` says what went wrong and what to do; `values` reads Zoho's value formats.
"""
