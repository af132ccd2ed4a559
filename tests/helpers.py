"""Helpers for tests that need their own short-lived servers, or several threads at once."""

import contextlib
import socket
import subprocess
import threading
import time
from pathlib import Path

from django.db import connections

from sla.models import Subscription


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def own_redis(tmp_path: Path):
    """A private redis-server on a free port, so stopping it disturbs nothing else."""
    port = free_port()
    pidfile = tmp_path / f"redis-{port}.pid"
    subprocess.run(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
            "--pidfile",
            str(pidfile),
        ],
        check=True,
    )
    server = RedisServer(port, pidfile)
    server.wait_up()
    try:
        yield server
    finally:
        server.stop()


class RedisServer:
    def __init__(self, port, pidfile):
        self.port = port
        self.pidfile = pidfile
        self.url = f"redis://127.0.0.1:{port}/0"

    def wait_up(self):
        for _ in range(50):
            # Up means listening and its pidfile written (stop() needs the pid).
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                if self.pidfile.exists() and self.pidfile.read_text().strip():
                    return
            time.sleep(0.1)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def stop(self):
        if not self.pidfile.exists():
            return
        pid = int(self.pidfile.read_text().strip())
        subprocess.run(["kill", str(pid)], check=False)
        # Down means refusing connections (the exited daemon may linger as a zombie).
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            except OSError:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"redis-server on port {self.port} did not stop")
        self.pidfile.unlink(missing_ok=True)


def subscription(org, service):
    """A demo subscription by organisation name and service slug."""
    return Subscription.objects.get(organisation__name=org, service__slug=service)


def at_once(*steps, timeout=60):
    """Run each step in a thread of its own, all let go at the same moment (each thread has
    its own database connection): [what each returned, or the exception it raised], in order."""
    barrier = threading.Barrier(len(steps))
    outcomes = [None] * len(steps)

    def run(index, step):
        try:
            barrier.wait()
            outcomes[index] = step()
        except Exception as exc:  # noqa: BLE001 - handed to the test
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return outcomes
