"""Request and response types of print jobs 批量印制."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

JobStatus = Literal["queued", "running", "done", "failed", "expired"]


class PrintJobCreate(Struct, forbid_unknown_fields=True, kw_only=True):
    """Order the codes of one region, district or industry (an industry within a region).

    Omit ``region`` and ``district`` to print the whole region the department covers. Only open
    businesses with an active code are printed; a closed (已歇业) one is left out.
    """

    region: Annotated[str, Meta(pattern=r"^[0-9]{6}$", examples=["340403"],
                                description="行政区划 code; `340400` covers `3404xx`")] \
        | None = None
    district: Annotated[str, Meta(pattern=r"^D[0-9]{10}$",
                                  description="信用商圈/信用街区 id: its stores")] | None = None
    industry: Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{1,39}$", examples=["beef_soup"],
                                  description="行业 key (GET /api/v1/industries)")] | None = None
    kind: Annotated[Literal["all", "store", "enterprise"],
                    Meta(description="stores (一店一档), enterprises and 个体工商户 (一企一码), "
                         "or both")] = "all"
    format: Annotated[Literal["pdf", "zip"],
                      Meta(description="`pdf`: one print-ready PDF of N-up sheets with crop "
                           "marks; `zip`: one image per code and manifest.csv")] = "pdf"
    paper: Annotated[Literal["A4", "A3"], Meta(description="PDF sheet size")] = "A4"
    per_sheet: Annotated[Literal[4, 8], Meta(description="cards per PDF sheet (2 x 2 or "
                                             "2 x 4)")] = 8
    image: Annotated[Literal["png", "svg"], Meta(description="ZIP image format (PNG: 16 px "
                                                 "per module)")] = "png"


class PrintOutput(Struct, kw_only=True):
    file_name: str
    bytes: int
    media_type: str
    download_url: str


class PrintJob(Struct, kw_only=True):
    """A print job and how far it got."""

    id: int
    department: str | None
    created_by: str
    status: Annotated[JobStatus, Meta(description="queued → running → done (or failed); "
                                      "expired once the output is past retention")]
    format: Literal["pdf", "zip"]
    filters: dict[str, Any]
    options: dict[str, Any]
    total: Annotated[int, Meta(description="codes selected when the job was ordered")]
    done: Annotated[int, Meta(description="codes written so far")]
    progress: Annotated[float, Meta(description="done / total, 0 to 1")]
    error: str | None
    attempts: Annotated[int, Meta(description="times a worker took the job up (a restart "
                                  "after a crash continues from the last checkpoint)")]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None
    output: PrintOutput | None
