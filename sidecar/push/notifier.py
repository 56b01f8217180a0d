"""`PushNotifier`: the outbox handler that tells users about changes by Web Push.

`handle(event)` decides who is told what (`recipients`), writes what must be sent to PocketBase
(`deliveries`: one row per event and subscription) and hands it to the background senders
(`dispatch`); it returns once the rows are written, so pushing never holds the outbox cursor
back. Without a VAPID key push is off: `handle` does nothing and the routes answer 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from fieldsync import Event, NotFound, PushSubscription, build_filter
from starlette.routing import Route

from sidecar.events import Principal
from sidecar.push.config import PushConfig
from sidecar.push.deliveries import PLAN_CHUNK, DeliveryStore, Target
from sidecar.push.dispatch import Dispatcher
from sidecar.push.messages import Kind, Message, message
from sidecar.push.metrics import PushMetrics
from sidecar.push.recipients import (
    OFFICE_ROLES,
    Change,
    Member,
    change_from_event,
    interested_roles,
    member_from_user,
    notices,
)
from sidecar.push.routes import push_routes
from sidecar.push.sender import PushSender, Result
from sidecar.session import SuperuserSession

log = logging.getLogger(__name__)

ResolveUser = Callable[[str], Awaitable[Principal | None]]
"""A PocketBase user token -> who it belongs to (None for a bad token)."""

SUBSCRIPTION_FIELDS = (
    "id,user,endpoint,p256dh,auth,expand.user.id,expand.user.team,expand.user.role,expand.user.lang"
)
TEST_INTERVAL_S = 10.0
"""A user may ask for a test notification this often."""


class PushNotifier:
    def __init__(
        self,
        config: PushConfig | None,
        session: SuperuserSession,
        resolve_user: ResolveUser,
    ) -> None:
        self.metrics = PushMetrics()
        self.config = config
        self.resolve_user = resolve_user
        self._session = session
        self._tested: dict[str, float] = {}
        self._sender: PushSender | None = None
        self._dispatcher: Dispatcher | None = None
        if config is not None:
            self._store = DeliveryStore(
                session, config.holder, config.claim_ttl_s, keep_s=config.ttl_s + 86400
            )
            self._sender = PushSender(config, self.metrics)
            self._dispatcher = Dispatcher(
                config, self._store, self._sender, self.metrics, self._prune
            )

    @property
    def public_key(self) -> str | None:
        """The VAPID public key browsers subscribe with; None when push is off."""
        return self.config.vapid.public_key if self.config is not None else None

    def routes(self) -> list[Route]:
        """`GET /push/vapid-public-key` and `POST /push/test` (see `sidecar.push.routes`)."""
        return push_routes(self)

    async def start(self) -> None:
        """Start the senders; they resume deliveries left pending by earlier processes."""
        if self._dispatcher is not None and self._sender is not None:
            await self._sender.start()
            self._dispatcher.start()

    async def close(self) -> None:
        if self._dispatcher is not None and self._sender is not None:
            await self._dispatcher.close()
            await self._sender.aclose()

    async def handle(self, event: Event) -> None:
        """Record the notifications `event` calls for and queue them; returns once recorded."""
        if self.config is None or self._dispatcher is None:
            return
        change = change_from_event(event)
        if change is None:
            return
        if (
            event.created is not None
            and time.time() - event.created.timestamp() > self.config.ttl_s
        ):
            return  # older than a notification may live: nobody wants it any more
        title = change.job_title
        if change.photo:
            try:
                job = await self._session.call(
                    lambda client: client.jobs.get(change.job, fields="id,team,title")
                )
            except NotFound:
                return
            if job.team != change.team:
                return
            title = job.title
        subscriptions = await self._subscriptions(change)
        members = {member.id: member for _, member in subscriptions}
        messages: dict[str, Message] = {
            notice.user: message(
                notice.kind,
                notice.lang,
                job=change.job,
                job_title=title,
                before=change.status_before,
                after=change.status_after,
                office=members[notice.user].role in OFFICE_ROLES,
            )
            for notice in notices(change, list(members.values()))
        }
        planned = [
            (target, messages[member.id])
            for target, member in subscriptions
            if member.id in messages
        ]
        if not planned:
            return
        dispatcher, recorded = self._dispatcher, 0
        for start in range(0, len(planned), PLAN_CHUNK):
            chunk = planned[start : start + PLAN_CHUNK]
            claim = dispatcher.room >= len(chunk)
            deliveries = await self._store.plan(event.seq, chunk, claim=claim, now=time.time())
            recorded += len(deliveries)
            if claim:
                dispatcher.submit(deliveries)  # sent while the next chunk is recorded
            else:
                dispatcher.sweep_soon()
        self.metrics.planned += recorded
        log.info(
            "push planned", extra={"seq": event.seq, "event": event.type, "deliveries": recorded}
        )

    def test_wait(self, user: str) -> float:
        """Seconds before `user` may ask for another test notification (0: now, and noted)."""
        now = time.monotonic()
        wait = self._tested.get(user, -TEST_INTERVAL_S) + TEST_INTERVAL_S - now
        if wait > 0:
            return wait
        if len(self._tested) > 10_000:
            self._tested.clear()
        self._tested[user] = now
        return 0.0

    async def send_test(self, principal: Principal) -> tuple[int, int]:
        """Push a test notification to the user's own subscriptions, once each, now; answers
        (accepted, not accepted). Gone subscriptions are deleted."""
        if self.config is None or self._sender is None:
            return 0, 0
        sender, ttl = self._sender, self.config.ttl_s
        records = await self._session.call(
            lambda client: client.push_subscriptions.all(
                filter=build_filter("user = {:user}", user=principal.user),
                expand="user",
                fields=SUBSCRIPTION_FIELDS,
            )
        )
        subscriptions = [_subscription(record) for record in records]
        outcomes = await asyncio.gather(
            *(
                sender.send(
                    target, message(Kind.TEST, member.lang, office=member.role in OFFICE_ROLES), ttl
                )
                for target, member in subscriptions
            )
        )
        sent = 0
        for (target, _), outcome in zip(subscriptions, outcomes, strict=True):
            if outcome.result is Result.SENT:
                sent += 1
            elif outcome.result is Result.GONE:
                await self._prune(target.subscription)
                self.metrics.pruned += 1
        self.metrics.sent += sent
        return sent, len(outcomes) - sent

    async def _subscriptions(self, change: Change) -> list[tuple[Target, Member]]:
        """Subscriptions of the team's users who may be told about `change`, with their users."""
        who = [
            build_filter("user.role = {:role}", role=role)
            for role in sorted(interested_roles(change))
        ]
        if change.assignee:
            who.append(build_filter("user = {:user}", user=change.assignee))
        if not who:
            return []
        query = build_filter("user.team = {:team}", team=change.team) + f" && ({' || '.join(who)})"
        records = await self._session.call(
            lambda client: client.push_subscriptions.all(
                filter=query, expand="user", fields=SUBSCRIPTION_FIELDS
            )
        )
        return [_subscription(record) for record in records]

    async def _prune(self, subscription: str) -> None:
        with contextlib.suppress(NotFound):
            await self._session.call(lambda client: client.push_subscriptions.delete(subscription))


def _subscription(record: PushSubscription) -> tuple[Target, Member]:
    user = record.expand.get("user")
    member = member_from_user(user if isinstance(user, dict) else {"id": record.user})
    return Target(record.id, record.endpoint, record.p256dh, record.auth), member
