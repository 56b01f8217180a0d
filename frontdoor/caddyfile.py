#!/usr/bin/env python3
"""Writes the front door's Caddyfile (to stdout) from the environment; `frontdoor/serve.sh`
runs Caddy with it. Standard library only: run.sh calls it before anything is installed.

One origin for everything: `/.well-known/mercure*` and `/push/*` go to the sidecar (SSE flushed
at once, no timeout on open streams), everything else to PocketBase (REST, files, realtime, the
pages). PocketBase and the sidecar listen on loopback only.

- Without FIELDSYNC_DOMAIN: HTTPS from Caddy's local CA (`tls internal`) for localhost, this
  machine's host name and LAN addresses (FIELDSYNC_FRONT_NAMES adds more). Plain http on
  FIELDSYNC_FRONT_HTTP_PORT serves /trust/ (how to trust the root certificate on a phone) and
  the certificate itself, and redirects everything else to https. No HSTS: a phone that has
  not trusted the certificate yet must still reach /trust/.
- With FIELDSYNC_DOMAIN: a public certificate (ACME) for that name, http redirected, HSTS.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lan_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses (what phones on the shop's Wi-Fi use)."""
    found: set[str] = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(info[4][0]))
    except OSError:
        pass
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: picks the LAN interface
            found.add(probe.getsockname()[0])
        except OSError:
            pass
    return sorted(address for address in found if not address.startswith("127."))


def local_names() -> list[str]:
    extra = os.environ.get("FIELDSYNC_FRONT_NAMES", "")
    names = ["localhost", "127.0.0.1", socket.gethostname(), *lan_addresses()]
    names += [name.strip() for name in extra.split(",") if name.strip()]
    return list(dict.fromkeys(names))


def routes(pb: str, sidecar: str) -> str:
    return f"""	@compressible not path /api/realtime* /.well-known/mercure*
	encode @compressible zstd gzip
	handle /.well-known/mercure* {{
		reverse_proxy {sidecar} {{
			flush_interval -1
		}}
	}}
	handle /push/* {{
		reverse_proxy {sidecar}
	}}
	handle {{
		reverse_proxy {pb} {{
			flush_interval -1
		}}
	}}"""


def caddyfile() -> str:
    env = os.environ
    pb = env.get("FIELDSYNC_PB_HTTP", "127.0.0.1:8090")
    host, port = env.get("FIELDSYNC_HTTP_HOST", "127.0.0.1"), env.get("FIELDSYNC_HTTP_PORT", "8091")
    sidecar = f"{host}:{port}"
    https_port = env.get("FIELDSYNC_FRONT_HTTPS_PORT", "8443")
    http_port = env.get("FIELDSYNC_FRONT_HTTP_PORT", "8080")
    storage = env.get("FIELDSYNC_CADDY_DIR", str(ROOT / ".fieldsync" / "caddy"))
    domain = env.get("FIELDSYNC_DOMAIN", "").strip()
    # Locally, the http port serves /trust/ and redirects the rest itself (below).
    redirects = "" if domain else "\tauto_https disable_redirects\n"
    options = f"""{{
	admin off
	skip_install_trust
{redirects}	storage file_system {storage}
	http_port {http_port}
	https_port {https_port}
	servers {{
		protocols h1 h2
	}}
}}
"""
    if domain:
        return (
            options
            + f"""
{domain} {{
	header Strict-Transport-Security "max-age=31536000"
{routes(pb, sidecar)}
}}
"""
        )
    sites = ", ".join(f"https://{name}:{https_port}" for name in local_names())
    return (
        options
        + f"""
{sites} {{
	tls internal
{routes(pb, sidecar)}
}}

http://:{http_port} {{
	handle /trust/root.crt {{
		root * {storage}/pki/authorities/local
		rewrite * /root.crt
		header Content-Type application/x-x509-ca-cert
		header Content-Disposition "attachment; filename=fieldsync-root.crt"
		file_server
	}}
	handle /trust* {{
		root * {ROOT / "frontdoor"}
		file_server
	}}
	handle {{
		redir https://{{host}}:{https_port}{{uri}} 308
	}}
}}
"""
    )


if __name__ == "__main__":
    sys.stdout.write(caddyfile())
