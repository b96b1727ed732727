"""Importing the raw contact base: a CSV upload answered at once, a report to poll."""

import asyncio
import os
import shutil
import uuid
from datetime import datetime
from pathlib import Path
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, UploadFile
from pydantic import BaseModel

from app.background import import_tasks, upload_file
from app.deps import AppSettings, Now, Session, Staff, checked_before_body
from app.listing import Page, Total
from dialer.base.audit import record
from dialer.base.clock import utcnow
from dialer.base.exports import csv_text
from dialer.base.models import STAFF_ROLES, ContactImport, ImportStatus
from dialer.contacts.campaigns import get_campaign
from dialer.contacts.imports.files import inspect_file
from dialer.contacts.imports.jobs import campaign_imports, get_import
from dialer.contacts.imports.run import ImportJob

router = APIRouter(tags=["imports"])


class ImportStarted(BaseModel):
    import_id: uuid.UUID
    status: Literal["running"]


class ReportError(BaseModel):
    line: int | None
    reason: str


class ImportSummary(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    filename: str | None
    status: ImportStatus
    rows: int
    imported: int
    duplicates: int
    do_not_call: int
    invalid: int
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, found: ContactImport) -> "ImportSummary":
        return cls.model_validate(found, from_attributes=True)


class ImportReport(ImportSummary):
    errors: list[ReportError]

    @classmethod
    def of(cls, found: ContactImport) -> "ImportReport":
        return cls.model_validate(found, from_attributes=True)


async def start_import(
    campaign_id: uuid.UUID,
    file: UploadFile,
    request: Request,
    session: Session,
    settings: AppSettings,
    staff: Staff,
) -> ImportStarted:
    """Check the file and start importing it; 422 invalid_file and nothing imported if bad."""
    # The import writes on a connection of its own: end this request's transaction first,
    # or on SQLite the two would wait for each other's write lock.
    await session.commit()
    path = await asyncio.to_thread(save_upload, file.file)
    try:
        fmt = await asyncio.to_thread(inspect_file, path)
        job = ImportJob(
            settings.database_url,
            path,
            fmt,
            region=settings.default_region,
            key=settings.secret_key,
            clock=utcnow,
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    try:
        import_id = await asyncio.to_thread(job.open, campaign_id, file.filename, staff.id)
    except BaseException:
        await asyncio.to_thread(job.close)
        path.unlink(missing_ok=True)
        raise
    summary = f"{file.filename or 'a file'} into campaign {campaign_id}"
    await record(session, staff, "import.start", "import", import_id, summary, utcnow())
    # Committed before the import starts writing, which on SQLite takes the write lock.
    await session.commit()
    import_tasks(request).start(job, path)
    return ImportStarted(import_id=import_id, status="running")


router.add_api_route(
    "/campaigns/{campaign_id}/imports",
    start_import,
    methods=["POST"],
    status_code=202,
    route_class_override=checked_before_body(*STAFF_ROLES),
)


@router.get("/imports/{import_id}")
async def import_report(
    import_id: uuid.UUID, request: Request, session: Session, now: Now, _staff: Staff
) -> ImportReport:
    """The import's progress while it runs, its report when it has ended."""
    found = await get_import(session, import_id, request.app.state.started_at, now)
    return ImportReport.of(found)


@router.get("/campaigns/{campaign_id}/imports")
async def imports_of(
    campaign_id: uuid.UUID,
    request: Request,
    session: Session,
    now: Now,
    page: Page,
    total: Total,
    _staff: Staff,
) -> list[ImportSummary]:
    """The campaign's imports, newest first, without their errors."""
    await get_campaign(session, campaign_id)
    found, count = await campaign_imports(
        session, campaign_id, request.app.state.started_at, now, page.limit, page.offset
    )
    total.set(count)
    return [ImportSummary.of(i) for i in found]


@router.get("/imports/{import_id}/errors", response_model=None)
async def import_errors(
    import_id: uuid.UUID,
    request: Request,
    session: Session,
    now: Now,
    _staff: Staff,
    fmt: Annotated[Literal["csv", "json"], Query(alias="format")] = "csv",
) -> Response | list[dict[str, Any]]:
    """Every refused line the report keeps: its number, the reason, the line as it was."""
    found = await get_import(session, import_id, request.app.state.started_at, now)
    lines = [
        {"line": e.get("line"), "reason": e["reason"], "raw": e.get("raw", "")}
        for e in found.errors
    ]
    if fmt == "json":
        return lines
    return Response(
        csv_text(["line", "reason", "raw"], ([e["line"], e["reason"], e["raw"]] for e in lines)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{import_id}-errors.csv"'},
    )


def save_upload(upload: IO[Any]) -> Path:
    # The upload is closed when the response is sent; the import outlives it.
    descriptor, path = upload_file()
    try:
        with os.fdopen(descriptor, "wb") as f:
            shutil.copyfileobj(upload, f, 1 << 20)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
