"""The problems only the import endpoints answer (413s with their own slugs)."""

from __future__ import annotations

from xinyi_api.errors import AppError


class FileTooLarge(AppError):
    """An import file above ``XINYI_IMPORT_MAX_FILE_BYTES``."""

    status_code = 413
    slug = "file-too-large"
    title = "Request body too large"


class BatchTooLarge(AppError):
    """An NDJSON batch above ``XINYI_IMPORT_MAX_BATCH_BYTES`` or
    ``XINYI_IMPORT_MAX_BATCH_RECORDS``."""

    status_code = 413
    slug = "batch-too-large"
    title = "Request body too large"
