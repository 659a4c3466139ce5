"""Demo data for `xinyi-api serve --demo`."""
