"""User input: the constrained types request schemas are built from (``types``), the JSON body
guard (``body``) and the query-parameter guard (``query``).

Import the types from here; ``create_app`` wires the guards.
"""

from xinyi_api.inputs.types import (
    DATE_RANGE,
    EARLIEST_DATE,
    INT64_MAX,
    INT64_MIN,
    LATEST_DATE,
    FreeText,
    Int64,
    PlausibleDate,
    PlausibleDateTime,
    SingleLineText,
)

__all__ = [
    "DATE_RANGE",
    "EARLIEST_DATE",
    "INT64_MAX",
    "INT64_MIN",
    "LATEST_DATE",
    "FreeText",
    "Int64",
    "PlausibleDate",
    "PlausibleDateTime",
    "SingleLineText",
]
