"""The public API is what `fieldsync.__all__` says, and nothing leaks in or out by accident."""

from __future__ import annotations

import fieldsync

EXPECTED = {
    # clients and services: async, and the generated sync twins
    "AsyncClient",
    "Client",
    "AsyncAuthService",
    "AuthService",
    "AsyncRecordService",
    "RecordService",
    "AsyncPhotoService",
    "PhotoService",
    "AsyncFileService",
    "FileService",
    "AsyncRealtimeService",
    "RealtimeService",
    "AsyncSubscription",
    "Subscription",
    "AsyncBackupService",
    "BackupService",
    # shared pieces
    "AuthStore",
    "Backoff",
    "build_filter",
    "photo_id",
    # models
    "Record",
    "Team",
    "User",
    "Superuser",
    "Job",
    "Photo",
    "PushSubscription",
    "Event",
    "Consumer",
    "Backup",
    "ListResult",
    "RealtimeEvent",
    "JobStatus",
    "PhotoStatus",
    "Role",
    "RealtimeAction",
    # errors
    "FieldsyncError",
    "ApiError",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "TooManyRequests",
    "TransportError",
    "SubscriptionTimeout",
    "__version__",
}


def test_all_is_pinned() -> None:
    assert set(fieldsync.__all__) == EXPECTED
    assert len(fieldsync.__all__) == len(set(fieldsync.__all__))


def test_every_exported_name_exists_and_belongs_to_fieldsync() -> None:
    for name in fieldsync.__all__:
        member = getattr(fieldsync, name)
        module = getattr(member, "__module__", "fieldsync")
        assert module.startswith("fieldsync"), (name, module)


def test_sync_names_come_from_generated_code() -> None:
    assert fieldsync.Client.__module__ == "fieldsync._sync.client"
    assert fieldsync.AsyncClient.__module__ == "fieldsync._async.client"
