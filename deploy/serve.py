"""N replicas of the app behind nginx, on 127.0.0.1, until Ctrl-C (or SIGTERM): then all of them stop. A replica
that dies is left out: nginx sends its visitors to another one, and their work comes back from their browsers
(mnistapp/keep.py). When nginx or the last replica ends, the rest stop.

    python deploy/serve.py --replicas 2 --port 8080     # then open http://127.0.0.1:8080

Streamlit keeps each browser tab's session (its model, its drawing) in the process that opened its
websocket, and that process alone accepts the tab's uploads (/_stcore/upload_file/<session>/...) and
serves its images (/media/...). So every request of a browser must reach the same replica. nginx's open
source build has no sticky cookie, so this config makes one: a request without the `st_replica` cookie is
hashed by its random $request_id, and the answer sets the cookie to that value; every later request
(page, websocket, upload, media) carries it and hashes to the same replica. `hash $remote_addr` would
also be sticky, but behind one NAT (a school's network) or on 127.0.0.1 every visitor would land on one
replica. Each answer names its replica in an X-Replica header (the tests check affinity with it).

nginx runs from a temporary prefix (its config, logs, pid and temp files), never as the system service;
it is Debian's `nginx` package (`apt-get install nginx`). The replicas share one cookie secret, so a
replica that takes over a browser (after another one died) accepts its XSRF cookie.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UPLOAD_MB = 50  # .streamlit/config.toml's server.maxUploadSize; nginx lets a little more through (multipart)

NGINX_CONF = """\
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log {prefix}/access.log;
  client_body_temp_path {prefix}/client_body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;

  map $http_upgrade $connection_upgrade {{ default upgrade; "" close; }}
  map $cookie_st_replica $replica_key {{ "" $request_id; default $cookie_st_replica; }}

  upstream streamlit {{
    hash $replica_key consistent;
{servers}
  }}

  server {{
    listen 127.0.0.1:{port};
    client_max_body_size {body_mb}m;  # Streamlit refuses an upload over maxUploadSize itself (HTTP 413)
    location / {{
      proxy_pass http://streamlit;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;          # the websocket: /_stcore/stream
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_buffering off;                             # stream both ways: no temp files (when started as root,
      proxy_request_buffering off;                     # nginx's workers run as nobody and cannot write the prefix)
      proxy_read_timeout 1d;                           # an idle tab keeps its websocket
      proxy_send_timeout 1d;
      add_header Set-Cookie "st_replica=$replica_key; Path=/; HttpOnly; SameSite=Lax" always;
      add_header X-Replica $upstream_addr always;
    }}
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout_s: float = 90) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited: {log.read_text()[-2000:] if log.exists() else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s")


class Cluster:
    """The replicas and nginx; `stop()` ends them all (it is safe to call twice)."""

    def __init__(self, replicas: int, port: int, prefix: Path):
        self.replicas, self.port, self.prefix = replicas, port, prefix
        self.procs: list[subprocess.Popen] = []

    def _start(self, cmd: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
        with open(log, "wb") as out:  # a file, not a pipe: an unread pipe fills up and blocks the server
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                    env=env)
        self.procs.append(proc)
        return proc

    def start(self) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(nginx):
            raise RuntimeError("nginx is not installed: apt-get install nginx (Debian's package)")
        env = {**os.environ, "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(16)}  # not allowed on the CLI
        ports = [free_port() for _ in range(self.replicas)]
        for p in ports:
            self._start([sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
                         "--server.port", str(p), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                        self.prefix / f"replica-{p}.log", env)
        for p, proc in zip(ports, self.procs):
            wait_healthy(f"http://127.0.0.1:{p}/_stcore/health", proc, self.prefix / f"replica-{p}.log")
        conf = self.prefix / "nginx.conf"
        conf.write_text(NGINX_CONF.format(prefix=self.prefix, port=self.port, body_mb=UPLOAD_MB + 1,
                                          servers="\n".join(f"    server 127.0.0.1:{p};" for p in ports)))
        proc = self._start([nginx, "-p", str(self.prefix), "-c", str(conf), "-e", str(self.prefix / "error.log"),
                            "-g", "daemon off;"], self.prefix / "nginx.out")
        wait_healthy(f"http://127.0.0.1:{self.port}/_stcore/health", proc, self.prefix / "error.log")
        self.replica_ports = ports

    def stop(self) -> None:
        for proc in reversed(self.procs):  # nginx first, then the replicas
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(10)
                except ProcessLookupError:
                    pass
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        self.procs.clear()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicas", type=int, default=2, help="Streamlit processes (one per core is a good start)")
    ap.add_argument("--port", type=int, default=8080, help="nginx's port on 127.0.0.1 (0: a free one)")
    args = ap.parse_args(argv)
    port = args.port or free_port()
    prefix = Path(tempfile.mkdtemp(prefix="mnist-deploy-"))
    cluster = Cluster(args.replicas, port, prefix)

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        cluster.start()
        print(f"ready: http://127.0.0.1:{port} -> replicas on ports {cluster.replica_ports} (logs in {prefix})",
              flush=True)
        nginx, replicas = cluster.procs[-1], dict(zip(cluster.replica_ports, cluster.procs))
        while nginx.poll() is None and replicas:
            for port in [p for p, proc in replicas.items() if proc.poll() is not None]:
                del replicas[port]
                print(f"the replica on port {port} exited; the others serve its visitors", flush=True)
            time.sleep(0.5)
        print("nginx or the last replica exited; stopping the rest", flush=True)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        cluster.stop()
        shutil.rmtree(prefix, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
