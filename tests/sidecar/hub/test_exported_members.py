import sidecar.hub


def test_exported_members() -> None:
    assert sidecar.hub.__all__ == [
        "Bus",
        "DurableLog",
        "Hub",
        "HubConfig",
        "HubStats",
        "LocalBus",
        "Page",
        "Update",
        "UpdateDraft",
    ]
    for name in sidecar.hub.__all__:
        assert getattr(sidecar.hub, name).__module__.startswith("sidecar.hub.")
