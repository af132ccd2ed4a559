"""A private redis-server the tests may freeze, kill and start again on the same port, and
pointing this process's Celery client at it."""

import contextlib
import os
import signal
import socket
import subprocess
import time

from kombu import pools
from kombu.utils.collections import eqhash

from portal.celery import app
from tests.helpers import free_port


class PrivateRedis:
    def __init__(self, folder, port=None):
        self.port = port or free_port()
        self.pidfile = folder / f"redis-{self.port}.pid"
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.pid = None

    def start(self):
        subprocess.run(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "yes"),
                *("--pidfile", str(self.pidfile)),
            ],
            check=True,
        )
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError, ValueError):
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                self.pid = int(self.pidfile.read_text().strip())
                return self
            assert time.monotonic() < deadline, f"redis-server on {self.port} did not start"
            time.sleep(0.05)

    def freeze(self):
        """As a hung host or network: connections are accepted by the kernel, never answered."""
        os.kill(self.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self.pid, signal.SIGCONT)

    def kill(self):
        """Gone at once, as a crashed broker: every connection is reset."""
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGCONT)
            os.kill(self.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            except OSError:
                break
            assert time.monotonic() < deadline, f"redis-server on {self.port} did not stop"
            time.sleep(0.05)
        self.pidfile.unlink(missing_ok=True)
        self.pid = None


@contextlib.contextmanager
def private_redis(folder):
    server = PrivateRedis(folder).start()
    try:
        yield server
    finally:
        server.kill()


@contextlib.contextmanager
def broker_at(url):
    """Send this process's tasks to the broker at `url`. Celery keeps connection and producer
    pools per broker URL for the whole process: those of `url` are closed and forgotten at the
    end, so a later broker on the same port starts clean."""

    def connect_to(broker_url):
        app.conf.broker_url = broker_url
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    connect_to(url)
    try:
        yield
    finally:
        key = eqhash(app.connection_for_write())
        for group in (pools.producers, pools.connections):
            if (pool := group.pop(key, None)) is not None:
                pool.force_close_all()
        connect_to(previous)
