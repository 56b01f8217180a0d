"""fieldsync: a typed Python SDK for fieldsync's PocketBase, async and sync.

::

    from fieldsync import AsyncClient, Client, build_filter

`AsyncClient` is written by hand in `fieldsync._async`; `Client`, its twin, is generated into
`fieldsync._sync` by `scripts/unasync.py`. Errors are drawn in `fieldsync.errors`.
"""

from ._async.auth import AsyncAuthService
from ._async.backups import AsyncBackupService
from ._async.client import AsyncClient
from ._async.files import AsyncFileService
from ._async.photos import AsyncPhotoService
from ._async.realtime import AsyncRealtimeService, AsyncSubscription
from ._async.records import AsyncRecordService
from ._sync.auth import AuthService
from ._sync.backups import BackupService
from ._sync.client import Client
from ._sync.files import FileService
from ._sync.photos import PhotoService
from ._sync.realtime import RealtimeService, Subscription
from ._sync.records import RecordService
from .auth_store import AuthStore
from .backoff import Backoff
from .errors import (
    ApiError,
    BadRequest,
    FieldsyncError,
    Forbidden,
    NotFound,
    SubscriptionTimeout,
    TooManyRequests,
    TransportError,
    Unauthorized,
)
from .filters import build_filter
from .models import (
    Backup,
    Consumer,
    Event,
    Job,
    JobStatus,
    ListResult,
    Photo,
    PhotoStatus,
    PushSubscription,
    RealtimeAction,
    RealtimeEvent,
    Record,
    Role,
    Superuser,
    Team,
    User,
)
from .uploads import photo_id

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "AsyncAuthService",
    "AsyncBackupService",
    "AsyncClient",
    "AsyncFileService",
    "AsyncPhotoService",
    "AsyncRealtimeService",
    "AsyncRecordService",
    "AsyncSubscription",
    "AuthService",
    "AuthStore",
    "Backoff",
    "Backup",
    "BackupService",
    "BadRequest",
    "Client",
    "Consumer",
    "Event",
    "FieldsyncError",
    "FileService",
    "Forbidden",
    "Job",
    "JobStatus",
    "ListResult",
    "NotFound",
    "Photo",
    "PhotoService",
    "PhotoStatus",
    "PushSubscription",
    "RealtimeAction",
    "RealtimeEvent",
    "RealtimeService",
    "Record",
    "RecordService",
    "Role",
    "Subscription",
    "SubscriptionTimeout",
    "Superuser",
    "Team",
    "TooManyRequests",
    "TransportError",
    "Unauthorized",
    "User",
    "__version__",
    "build_filter",
    "photo_id",
]
