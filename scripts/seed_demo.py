"""Seed the demo team on first run (idempotent): `python -m scripts.seed_demo`.

Reads the superuser and demo passwords that run.sh keeps in .fieldsync/credentials.env.
"""

from __future__ import annotations

import os

import httpx

TEAM = "Demo Wheel Repair"
JOBS = [
    ("Replace front-left alloy rim", "Kim's Garage", "assigned"),
    ("Balance four wheels", "Park Logistics", "new"),
]


def upsert_user(
    su: httpx.Client, team: str, email: str, password: str, role: str, name: str
) -> str:
    found = su.get("/api/collections/users/records", params={"filter": f'email = "{email}"'}).json()
    body = {
        "password": password,
        "passwordConfirm": password,
        "role": role,
        "team": team,
        "name": name,
    }
    if found["items"]:
        user_id = str(found["items"][0]["id"])
        su.patch(f"/api/collections/users/records/{user_id}", json=body).raise_for_status()
        return user_id
    response = su.post(
        "/api/collections/users/records", json={**body, "email": email, "verified": True}
    )
    response.raise_for_status()
    return str(response.json()["id"])


def main() -> None:
    env = os.environ
    url = env["FIELDSYNC_PB_URL"]
    auth = httpx.post(
        f"{url}/api/collections/_superusers/auth-with-password",
        json={
            "identity": env["FIELDSYNC_PB_SUPERUSER_EMAIL"],
            "password": env["FIELDSYNC_PB_SUPERUSER_PASSWORD"],
        },
    )
    auth.raise_for_status()
    with httpx.Client(base_url=url, headers={"Authorization": auth.json()["token"]}) as su:
        teams = su.get(
            "/api/collections/teams/records", params={"filter": f'name = "{TEAM}"'}
        ).json()
        is_new = not teams["items"]
        if is_new:
            team = str(su.post("/api/collections/teams/records", json={"name": TEAM}).json()["id"])
        else:
            team = str(teams["items"][0]["id"])
        field = upsert_user(
            su,
            team,
            "field@demo.fieldsync.local",
            env["FIELDSYNC_DEMO_FIELD_PASSWORD"],
            "field",
            "Minho (field)",
        )
        office = upsert_user(
            su,
            team,
            "office@demo.fieldsync.local",
            env["FIELDSYNC_DEMO_OFFICE_PASSWORD"],
            "office",
            "Jiwoo (office)",
        )
        if is_new:
            for title, customer, status in JOBS:
                su.post(
                    "/api/collections/jobs/records",
                    json={
                        "team": team,
                        "title": title,
                        "customer": customer,
                        "status": status,
                        "assignee": field if status == "assigned" else "",
                        "created_by": office,
                    },
                ).raise_for_status()


if __name__ == "__main__":
    main()
