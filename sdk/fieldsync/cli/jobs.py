"""`fieldsync jobs list|create|assign|status`: tables for people, ``--json`` for scripts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from .._async.client import AsyncClient
from ..filters import build_filter
from ..models import Job, JobStatus
from .console import console
from .errors import run
from .lookup import find_job, find_user, my_team
from .options import DebugOption, JsonOption, UrlOption
from .session import logged_in

__all__ = ["app"]

app = typer.Typer(help="List, create, assign and move jobs.", no_args_is_help=True)

_STATUS_STYLE = {
    JobStatus.NEW: "cyan",
    JobStatus.ASSIGNED: "blue",
    JobStatus.IN_PROGRESS: "yellow",
    JobStatus.DONE: "green",
    JobStatus.CANCELLED: "dim",
}


def _document(job: Job) -> dict[str, Any]:
    document = job.model_dump(mode="json", by_alias=True, exclude={"expand"})
    assignee = job.expand.get("assignee")
    document["assignee_email"] = assignee.get("email") if isinstance(assignee, dict) else None
    return document


def _table(jobs: list[Job]) -> Table:
    table = Table(box=None, header_style="bold")
    for column in ("id", "title", "customer", "status", "assignee", "due"):
        table.add_column(column, overflow="fold")
    for job in jobs:
        assignee = job.expand.get("assignee")
        who = assignee.get("email") or assignee.get("name") if isinstance(assignee, dict) else ""
        table.add_row(
            job.id,
            job.title,
            job.customer,
            f"[{_STATUS_STYLE[job.status]}]{job.status.value}[/]",
            who or (job.assignee or ""),
            job.due.date().isoformat() if job.due else "",
        )
    return table


def _show(jobs: list[Job], as_json: bool, many: bool) -> None:
    if as_json:
        documents = [_document(job) for job in jobs]
        console.json(documents if many else documents[0])
    else:
        console.table(_table(jobs))


def _parse_due(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("use YYYY-MM-DD", param_hint="--due") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def _list(url: str | None, status: JobStatus | None, mine: bool) -> list[Job]:
    async with logged_in(url) as client:
        clauses, params = [], {}
        if status is not None:
            clauses.append("status = {:status}")
            params["status"] = status.value
        if mine:
            clauses.append("assignee = {:me}")
            params["me"] = client.auth.record.id if client.auth.record else ""
        query = build_filter(" && ".join(clauses), params) if clauses else None
        return await client.jobs.all(filter=query, sort="-created", expand="assignee")


@app.command("list")
def list_jobs(
    status: Annotated[JobStatus | None, typer.Option(help="Only jobs with this status.")] = None,
    mine: Annotated[bool, typer.Option("--mine", help="Only jobs assigned to you.")] = False,
    as_json: JsonOption = False,
    url: UrlOption = None,
    debug: DebugOption = False,
) -> None:
    """The jobs you may see, newest first."""
    _show(run(_list(url, status, mine), debug=debug), as_json, many=True)


async def _get(client: AsyncClient, job: Job) -> Job:
    return await client.jobs.get(job.id, expand="assignee")


async def _create(
    url: str | None, title: str, customer: str | None, assign: str | None, due: datetime | None
) -> Job:
    async with logged_in(url) as client:
        data: dict[str, Any] = {"team": my_team(client), "title": title}
        if customer is not None:
            data["customer"] = customer
        if due is not None:
            data["due"] = due
        if assign is not None:
            data["assignee"] = (await find_user(client, assign)).id
            data["status"] = JobStatus.ASSIGNED
        return await _get(client, await client.jobs.create(data))


@app.command()
def create(
    title: Annotated[str, typer.Argument(help="What is to be done.")],
    customer: Annotated[str | None, typer.Option(help="Who it is for.")] = None,
    assign: Annotated[
        str | None, typer.Option(metavar="EMAIL", help="Assign it to this team member.")
    ] = None,
    due: Annotated[str | None, typer.Option(metavar="YYYY-MM-DD", help="Due date.")] = None,
    as_json: JsonOption = False,
    url: UrlOption = None,
    debug: DebugOption = False,
) -> None:
    """Create a job in your team (office and admin roles)."""
    job = run(_create(url, title, customer, assign, _parse_due(due)), debug=debug)
    _show([job], as_json, many=False)


async def _assign(url: str | None, ref: str, email: str) -> Job:
    async with logged_in(url) as client:
        job = await find_job(client, ref)
        data: dict[str, Any] = {"assignee": (await find_user(client, email)).id}
        if job.status == JobStatus.NEW:
            data["status"] = JobStatus.ASSIGNED
        return await _get(client, await client.jobs.update(job, data))


@app.command()
def assign(
    job: Annotated[str, typer.Argument(help="The job's id or exact title.")],
    email: Annotated[str, typer.Argument(help="The team member to assign it to.")],
    as_json: JsonOption = False,
    url: UrlOption = None,
    debug: DebugOption = False,
) -> None:
    """Assign a job to a team member (a new job becomes `assigned`)."""
    _show([run(_assign(url, job, email), debug=debug)], as_json, many=False)


async def _status(url: str | None, ref: str, status: JobStatus) -> Job:
    async with logged_in(url) as client:
        job = await find_job(client, ref)
        return await _get(client, await client.jobs.update(job, {"status": status}))


@app.command()
def status(
    job: Annotated[str, typer.Argument(help="The job's id or exact title.")],
    new_status: Annotated[JobStatus, typer.Argument(metavar="STATUS", help="The new status.")],
    as_json: JsonOption = False,
    url: UrlOption = None,
    debug: DebugOption = False,
) -> None:
    """Move a job to another status."""
    _show([run(_status(url, job, new_status), debug=debug)], as_json, many=False)
