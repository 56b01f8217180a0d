"""The reliability checks: what PocketBase holds (a `Ledger`) against what the phones sent,
what every hub stream and realtime dashboard received and what the push service got.

Each check returns a list of problems, one short line each (empty: all is well), so a test
asserts `== []` and a failure says what went wrong. Expectations come from the outbox and the
rules in docs/events.md, never from the sidecar's code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from tests.support.hub_listeners import StreamLog
from tests.support.ledger import Ledger, OutboxRow
from tests.support.office import Delivery, RealtimeDashboard
from tests.support.phones import Upload
from tests.support.push.service import Received
from tests.support.shop import Shop

PHOTO_LIFE = ["photo.created", "photo.ready"]
"""The events of a photo uploaded once and made a thumbnail once, in order."""
ACTIONS = {
    "created": "create",
    "updated": "update",
    "ready": "update",
    "failed": "update",
    "deleted": "delete",
}
"""An event type's verb -> the action PocketBase realtime reports for it."""


def _first(problems: Iterable[str], limit: int = 20) -> list[str]:
    found = list(problems)
    return found[:limit] + ([f"... and {len(found) - limit} more"] if len(found) > limit else [])


def outbox(ledger: Ledger, *, caught_up: bool = True) -> list[str]:
    """Sequence numbers without holes or repeats, a sound database, and (`caught_up`) the
    consumer's cursor at the head."""
    seqs = [event.seq for event in ledger.events]
    problems = []
    if seqs and seqs != list(range(seqs[0], seqs[0] + len(seqs))):
        missing = sorted(set(range(seqs[0], seqs[-1] + 1)) - set(seqs))
        repeated = [seq for seq, n in Counter(seqs).items() if n > 1]
        problems.append(f"outbox holes at {missing[:10]}, repeats {repeated[:10]}")
    if caught_up and ledger.cursor != ledger.head:
        problems.append(f"consumer cursor {ledger.cursor} is not the outbox head {ledger.head}")
    if ledger.integrity != "ok":
        problems.append(f"integrity_check: {ledger.integrity}")
    return problems


def photos(ledger: Ledger, after: int, uploads: Sequence[Upload]) -> list[str]:
    """Every upload is one record with its bytes' hash, and nothing else was made; each photo
    was created once and made ready once, in that order."""
    problems = [f"upload {u.phone}/{u.index} failed: {u.error}" for u in uploads if u.error]
    wanted = {u.photo: u for u in uploads if u.photo}
    for photo_id, upload in wanted.items():
        row = ledger.photos.get(photo_id)
        if row is None:
            problems.append(f"photo {photo_id} was uploaded but has no record")
        elif row.sha256 != upload.sha256:
            problems.append(f"photo {photo_id} holds another photo's hash")
    new = {event.record for event in ledger.after(after) if event.type == "photo.created"}
    problems += [f"photo {p} exists but no phone uploaded it" for p in sorted(new - set(wanted))]
    hashes = Counter((row.team, row.sha256) for row in ledger.photos.values())
    problems += [f"{n} records of one photo {key}" for key, n in hashes.items() if n > 1]
    lives: dict[str, list[str]] = {}
    for event in ledger.after(after):
        if event.collection == "photos":
            lives.setdefault(event.record, []).append(event.type)
    problems += [
        f"photo {photo_id} events: {life}" for photo_id, life in lives.items() if life != PHOTO_LIFE
    ]
    not_ready = [row.id for row in ledger.photos.values() if row.status != "ready"]
    problems += [
        f"photo {p} is {ledger.photos[p].status}: {ledger.photos[p].error}" for p in not_ready
    ]
    return _first(problems)


def storage(ledger: Ledger) -> list[str]:
    """Every record's file is on disk with the bytes it was uploaded with, a ready photo has
    its thumbnail, and a record's folder holds nothing else."""
    problems = []
    for row in ledger.photos.values():
        files = ledger.storage.get(row.id, {})
        stored = files.get(row.file)
        if stored is None:
            problems.append(f"photo {row.id}: its file {row.file} is not in storage")
        elif stored != row.sha256:
            problems.append(f"photo {row.id}: the stored file differs from what was uploaded")
        if row.status == "ready" and (not row.thumb or row.thumb not in files):
            problems.append(f"photo {row.id} is ready without its thumbnail on disk")
    return _first(problems)


def orphans(ledger: Ledger) -> list[str]:
    """Files in storage that no record points to (in a folder of no record, or extra beside a
    record's own). An empty folder holds nothing (and object storage has no folders)."""
    problems = []
    for folder, files in ledger.storage.items():
        row = ledger.photos.get(folder)
        kept = {row.file, row.thumb} if row is not None else set()
        problems += [f"{folder}/{name}" for name in sorted(set(files) - kept)]
    return _first(problems)


def team_events(ledger: Ledger, after: int) -> dict[str, list[OutboxRow]]:
    """Team -> its events after `after` that the hub publishes (jobs and photos), in order."""
    found: dict[str, list[OutboxRow]] = {}
    for event in ledger.after(after):
        if event.collection in ("jobs", "photos"):
            found.setdefault(event.team, []).append(event)
    return found


def hub(ledger: Ledger, after: int, logs: Sequence[StreamLog], opened: int) -> list[str]:
    """Every stream got every event of its team after `after`, once, in order, and nothing of
    another team."""
    problems = []
    if opened < len(logs):
        problems.append(f"{len(logs) - opened} of {len(logs)} hub streams were refused")
    expected = {team: [e.seq for e in rows] for team, rows in team_events(ledger, after).items()}
    teams = {event.seq: event.team for event in ledger.events}
    tally: Counter[str] = Counter()
    for log in logs:
        want = expected.get(log.team, [])
        if log.seqs == want:
            continue
        got = Counter(log.seqs)
        tally["streams with problems"] += 1
        tally["missing"] += len(set(want) - set(got))
        tally["duplicated"] += sum(n - 1 for n in got.values())
        tally["out of order"] += sum(
            1 for a, b in zip(log.seqs, log.seqs[1:], strict=False) if b <= a
        )
        tally["of another team"] += sum(1 for s in got if teams.get(s, log.team) != log.team)
    if tally:
        problems.append(", ".join(f"{name}: {n}" for name, n in tally.items()))
    return problems


def hub_delays_ms(ledger: Ledger, logs: Sequence[StreamLog]) -> list[float]:
    """Commit (the outbox row's `created`) to arrival on a stream, every delivery."""
    created = {event.seq: event.created for event in ledger.events}
    return [
        (arrived / 1e9 - created[seq]) * 1000
        for log in logs
        for seq, arrived in zip(log.seqs, log.arrived_ns, strict=True)
        if seq in created
    ]


def realtime_expected(ledger: Ledger, after: int, team: str) -> Counter[Delivery]:
    """The realtime messages a team member following jobs and photos must get."""
    return Counter(
        (event.collection, ACTIONS[event.type.split(".")[1]], event.record)
        for event in team_events(ledger, after).get(team, [])
    )


def realtime(
    ledger: Ledger, after: int, dashboards: Sequence[RealtimeDashboard], *, complete: bool = True
) -> list[str]:
    """Each PocketBase realtime dashboard got nothing of another team and (with `complete`)
    every change of its own once. PocketBase promises no order and replays nothing after a
    reconnect, so order is not checked, nor completeness across a restart of PocketBase."""
    problems = []
    for board in dashboards:
        team = board.member.team
        foreign = {t: n for t, n in board.teams.items() if t != team}
        if foreign:
            problems.append(f"{board.member.email} got {sum(foreign.values())} of other teams")
        if complete:
            want = realtime_expected(ledger, after, team)
            missing, extra = want - board.received, board.received - want
            if missing or extra:
                problems.append(
                    f"{board.member.email}: {sum(missing.values())} missing, "
                    f"{sum(extra.values())} extra"
                )
    return problems


def expected_pushes(ledger: Ledger, after: int, shop: Shop) -> Counter[tuple[int, str]]:
    """(event seq, subscription) of every notification the rules call for (docs/events.md):
    a new photo to the team's office and admin; a status change to them and the job's
    assignee; never to whoever made the change."""
    wanted: Counter[tuple[int, str]] = Counter()
    for event in ledger.after(after):
        team = next((t for t in shop.teams if t.id == event.team), None)
        if team is None:
            continue
        users = set()
        if event.type == "photo.created":
            users = {member.id for member in team.office_roles}
        elif event.type == "job.updated" and "status" in event.previous:
            users = {member.id for member in team.office_roles}
            users.add(str(event.data.get("assignee") or ""))
        for user in users - {event.actor, ""}:
            wanted[(event.seq, shop.subscription_of[user])] += 1
    return wanted


def pushes(
    ledger: Ledger,
    after: int,
    shop: Shop,
    received: Sequence[Received],
    *,
    may_repeat: Sequence[Received] = (),
) -> list[str]:
    """One delivery row per notification due after `after`, each sent; the push service got
    each once (a POST in `may_repeat` may have been sent again), readable with the browser's
    keys."""
    wanted = expected_pushes(ledger, after, shop)
    rows = Counter((row.event, row.subscription) for row in ledger.deliveries if row.event > after)
    problems = []
    if rows != wanted:
        problems.append(
            f"delivery rows: {sum((wanted - rows).values())} missing, "
            f"{sum((rows - wanted).values())} not due"
        )
    return problems + _unsent(ledger, after) + _arrivals(ledger, shop, wanted, received, may_repeat)


def pushes_since(
    before: Ledger, now: Ledger, shop: Shop, received: Sequence[Received]
) -> list[str]:
    """Every delivery sent between `before` and `now` (two states of one PocketBase) reached
    the push service once, and none `before` held as sent went out again."""
    sent = {(row.event, row.subscription) for row in before.deliveries if row.status == "sent"}
    newly = Counter(
        (row.event, row.subscription)
        for row in now.deliveries
        if (row.event, row.subscription) not in sent
    )
    return _unsent(now, 0) + _arrivals(now, shop, newly, received, ())


def _unsent(ledger: Ledger, after: int) -> list[str]:
    unsent = [row for row in ledger.deliveries if row.event > after and row.status != "sent"]
    return [f"{len(unsent)} deliveries not sent: {unsent[:3]}"] if unsent else []


def _arrivals(
    ledger: Ledger,
    shop: Shop,
    deliveries: Counter[tuple[int, str]],
    received: Sequence[Received],
    may_repeat: Sequence[Received],
) -> list[str]:
    """What the push service accepted against `deliveries` ((event, subscription) pairs),
    per endpoint and job (the `Topic` header), and whether each decrypts to its job's tag."""
    endpoint_of = {shop.subscription_of[user]: e for user, e in shop.endpoint_of.items()}
    jobs = {event.seq: job_of(event) for event in ledger.events}
    due = Counter((endpoint_of[sub], jobs[seq]) for seq, sub in deliveries.elements())
    accepted = [r for r in received if 200 <= r.answered < 300]
    got = Counter((r.endpoint, r.headers.get("topic", "")) for r in accepted)
    spare = Counter((r.endpoint, r.headers.get("topic", "")) for r in may_repeat)
    missing, unexplained = due - got, got - due - spare
    problems = []
    if missing or unexplained:
        problems.append(
            f"push service: {sum(missing.values())} notifications missing, "
            f"{sum(unexplained.values())} sent twice"
        )
    for post in accepted:
        payload = shop.browsers[post.endpoint].decrypt(post)
        if payload.get("tag") != f"job-{post.headers.get('topic')}":
            problems.append(f"a notification for {post.endpoint} reads {payload}")
            break
    return problems


def job_of(event: OutboxRow) -> str:
    """The job an event is about (a photo's job for a photo event)."""
    return str(event.data.get("job") or "") if event.collection == "photos" else event.record
