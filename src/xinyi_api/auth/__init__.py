"""Authentication (signed JWT bearer tokens) and authorisation (roles and scopes)."""
