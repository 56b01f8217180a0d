import sidecar.hub


def test_exported_members() -> None:
    assert sidecar.hub.__all__ == [
        "Bus",
        "DurableLog",
        "Hub",
        "HubConfig",
        "HubStats",
        "LocalBus",
        "Principal",
        "Update",
        "UpdateDraft",
        "topics_for_event",
    ]
    for name in sidecar.hub.__all__:
        assert getattr(sidecar.hub, name).__module__.startswith("sidecar.hub.")
