"""批量印制 print jobs: every code of a region, district or industry as N-up PDF sheets or a ZIP."""
