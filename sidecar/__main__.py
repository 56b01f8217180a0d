"""`python -m sidecar`: settings from the environment, JSON logs, the app under uvicorn."""

from __future__ import annotations

import faulthandler
import signal
import sys

import uvicorn
from pydantic import ValidationError

from sidecar import logs
from sidecar.app import create_app
from sidecar.serving import serve
from sidecar.settings import Settings


def main() -> None:
    try:
        settings = Settings()  # filled from FIELDSYNC_* env vars
    except ValidationError as exc:
        for error in exc.errors():
            name = "FIELDSYNC_" + "_".join(str(part) for part in error["loc"]).upper()
            print(f"sidecar: {name}: {error['msg']}", file=sys.stderr)
        sys.exit(2)
    logs.configure(settings.log_level)
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>`: every thread's stack to stderr
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=10,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
        backlog=4096,
    )
    serve(config, on_shutdown=app.state.hub.close)


if __name__ == "__main__":
    main()
