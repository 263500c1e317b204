"""An nginx of a benchmark's or a browser test's own (Debian's package) on a free port, its
config rendered by ``deploy/local/nginx.sh render`` from the template ``make up`` uses: the
workbench's static files and /api/v1/* routed to the services, several copies of one balanced
as in ``make up REPLICAS=2``."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from xuncha_shared.settings import SERVICES

from bench.ports import free_port

REPO = Path(__file__).resolve().parents[1]
DIST = REPO / "web" / "dist"
NGINX = "/usr/sbin/nginx"
#: where a service the benchmark does not start is said to be (nothing listens; never asked)
NOWHERE = "http://127.0.0.1:9"


@contextlib.contextmanager
def serve_nginx(
    upstreams: Mapping[str, str | Sequence[str]],
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    web_root: Path = DIST,
) -> Iterator[str]:
    """nginx on ``port`` (default a free one) in front of ``upstreams`` (service -> the base
    URL of its copy, or of each copy); yields its base URL. Services not given are routed
    :data:`NOWHERE`; ``env`` adds render settings (``XUNCHA_AUTH_MODE=oidc`` and its issuer)."""
    if not Path(NGINX).is_file():
        raise RuntimeError("nginx is missing: run `make deps` (deploy/local/nginx.sh install)")
    prefix = Path(tempfile.mkdtemp(prefix="xuncha-nginx-"))
    prefix.chmod(0o755)  # read by nginx's workers (nobody when started as root)
    port = port or free_port()
    conf = prefix / "workbench.conf"

    def servers(svc: str) -> str:
        given = upstreams.get(svc) or NOWHERE
        return given if isinstance(given, str) else ",".join(given)

    render_env = {
        **os.environ,
        "XUNCHA_AUTH_MODE": "token",
        "XUNCHA_NGINX_LISTEN": f"127.0.0.1:{port}",
        "XUNCHA_NGINX_PREFIX": str(prefix),
        "XUNCHA_WEB_ROOT": str(web_root),
        **{f"XUNCHA_UPSTREAM_{svc.upper()}": servers(svc) for svc in SERVICES},
        **(env or {}),
    }
    subprocess.run(
        [str(REPO / "deploy/local/nginx.sh"), "render", str(conf)], env=render_env, check=True
    )
    log = prefix / "error.log"
    proc = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(conf), "-e", str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"nginx exited ({proc.returncode}): {log.read_text()[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx does not listen on {port}: {log.read_text()[-2000:]}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        shutil.rmtree(prefix, ignore_errors=True)
