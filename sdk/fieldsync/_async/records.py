"""CRUD on one PocketBase collection, returning typed models (like the JS SDK's RecordService)."""

from __future__ import annotations

import builtins
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from ..backoff import Backoff
from ..errors import NotFound
from ..models import ListResult, Record, to_payload
from .realtime import AsyncSubscription
from .transport import AsyncTransport

__all__ = ["AsyncRecordService"]

M = TypeVar("M", bound=Record)

FileValue = Any
"""A file for `files=`: bytes, a binary file object, or ``(filename, content[, content_type])``."""


class AsyncRecordService(Generic[M]):
    """The records of one collection, parsed as `model`.

    Get one from the client: ``client.jobs``, or ``client.records("name", Model)``.
    Filters are PocketBase expressions; build them with `fieldsync.build_filter` whenever a
    value comes from outside.
    """

    def __init__(self, transport: AsyncTransport, collection: str, model: type[M]) -> None:
        self._transport = transport
        self.collection = collection
        self.model = model
        self._path = f"/api/collections/{quote(collection, safe='')}/records"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.collection!r}, {self.model.__name__})"

    def _record_path(self, record: M | str) -> str:
        record_id = record if isinstance(record, str) else record.id
        if not record_id:
            raise ValueError("a record id is required")
        return f"{self._path}/{quote(record_id, safe='')}"

    def _parse(self, data: Any) -> M:
        return self.model.model_validate(data)

    async def list(
        self,
        page: int = 1,
        per_page: int = 30,
        *,
        filter: str | None = None,
        sort: str | None = None,
        expand: str | None = None,
        fields: str | None = None,
        skip_total: bool = False,
    ) -> ListResult[M]:
        """One page of records.

        Args:
            page: 1-based page number.
            per_page: records per page (PocketBase caps it at 1000).
            filter: e.g. ``build_filter("status = {:s}", s="new")``.
            sort: e.g. ``"-created,title"``.
            expand: relations to expand, e.g. ``"assignee"``; they land in ``record.expand``.
            fields: only these fields, e.g. ``"id,title"`` (missing ones keep their defaults).
            skip_total: skip counting (faster); totals are then -1.
        """
        body = await self._transport.request(
            "GET",
            self._path,
            params={
                "page": page,
                "perPage": per_page,
                "filter": filter,
                "sort": sort,
                "expand": expand,
                "fields": fields,
                "skipTotal": skip_total or None,
            },
        )
        items = [self._parse(item) for item in body.get("items") or []]
        return ListResult[M](
            page=body.get("page", page),
            per_page=body.get("perPage", per_page),
            total_items=body.get("totalItems", -1),
            total_pages=body.get("totalPages", -1),
            items=items,
        )

    async def iterate(
        self,
        *,
        filter: str | None = None,
        sort: str | None = None,
        expand: str | None = None,
        fields: str | None = None,
        batch: int = 500,
    ) -> AsyncIterator[M]:
        """Every matching record, fetching `batch` per request as you go.

        Give a `sort` (e.g. ``"created,id"``) if records may be added while you iterate.
        """
        page = 1
        while True:
            result = await self.list(
                page,
                batch,
                filter=filter,
                sort=sort,
                expand=expand,
                fields=fields,
                skip_total=True,
            )
            for item in result.items:
                yield item
            if len(result.items) < batch:
                return
            page += 1

    async def all(
        self,
        *,
        filter: str | None = None,
        sort: str | None = None,
        expand: str | None = None,
        fields: str | None = None,
        batch: int = 500,
    ) -> builtins.list[M]:
        """Every matching record in one list (see `iterate` for large collections)."""
        return [
            item
            async for item in self.iterate(
                filter=filter, sort=sort, expand=expand, fields=fields, batch=batch
            )
        ]

    async def get(self, id: str, *, expand: str | None = None, fields: str | None = None) -> M:
        """The record with this id; `NotFound` if missing or hidden by a rule."""
        body = await self._transport.request(
            "GET", self._record_path(id), params={"expand": expand, "fields": fields}
        )
        return self._parse(body)

    async def first(
        self,
        filter: str,
        *,
        sort: str | None = None,
        expand: str | None = None,
        fields: str | None = None,
    ) -> M:
        """The first record matching `filter`; `NotFound` if none does."""
        result = await self.list(
            1, 1, filter=filter, sort=sort, expand=expand, fields=fields, skip_total=True
        )
        if not result.items:
            raise NotFound(404, "no record matches the filter", {}, self._transport.url(self._path))
        return result.items[0]

    async def create(
        self,
        data: M | Mapping[str, Any],
        *,
        files: Mapping[str, FileValue] | None = None,
        expand: str | None = None,
        fields: str | None = None,
    ) -> M:
        """Create a record from a model (only the fields you set are sent) or a mapping.

        `files` maps file fields to content (bytes, a binary file, or ``(filename, content)``);
        the other values then travel as PocketBase's ``@jsonPayload`` so types survive.
        A client-chosen ``id`` (15 chars, [a-z0-9]) is allowed; reusing one raises `BadRequest`
        with ``error.data["id"]["code"] == "validation_not_unique"``.
        """
        body = await self._send("POST", self._path, to_payload(data), files, expand, fields)
        return self._parse(body)

    async def update(
        self,
        record: M | str,
        data: M | Mapping[str, Any],
        *,
        files: Mapping[str, FileValue] | None = None,
        expand: str | None = None,
        fields: str | None = None,
    ) -> M:
        """Change a record (given as a model or an id) and return its new state.

        Send only what changes: a mapping (``{"status": "done"}``) or a model built with just
        those fields (``Job(status=JobStatus.DONE)``).
        """
        payload = to_payload(data)
        payload.pop("id", None)
        body = await self._send("PATCH", self._record_path(record), payload, files, expand, fields)
        return self._parse(body)

    async def delete(self, record: M | str) -> None:
        """Delete a record (given as a model or an id)."""
        await self._transport.request("DELETE", self._record_path(record))

    def subscribe(
        self,
        topic: str = "*",
        *,
        filter: str | None = None,
        expand: str | None = None,
        max_idle: float | None = None,
        backoff: Backoff | None = None,
    ) -> AsyncSubscription[M]:
        """Realtime changes to this collection (``"*"``) or to one record (its id).

        See `AsyncRealtimeService.subscribe`.
        """
        return AsyncSubscription(
            self._transport,
            self.collection,
            self.model,
            topic,
            filter=filter,
            expand=expand,
            max_idle=max_idle,
            backoff=backoff,
        )

    async def _send(
        self,
        method: str,
        path: str,
        payload: dict[str, Any],
        files: Mapping[str, FileValue] | None,
        expand: str | None,
        fields: str | None,
    ) -> Any:
        params = {"expand": expand, "fields": fields}
        if not files:
            return await self._transport.request(method, path, params=params, json=payload)
        return await self._transport.request(
            method,
            path,
            params=params,
            data={"@jsonPayload": json.dumps(payload)},
            files=[(name, value) for name, value in files.items()],
        )
