"""A three-node Redis Cluster of the test run's own: `redis-server --cluster-enabled yes` on
spare loopback ports under a temporary directory, joined by `redis-cli --cluster create`, no
replicas. Nothing is kept on disk; the nodes die with the run."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.local_servers import free_port

NODES = 3
#: A cluster node also listens on its port + 10000 (the cluster bus).
BUS_OFFSET = 10_000


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _spare_ports(count: int) -> list[int]:
    """Ports free now, each with its bus port free too."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port + BUS_OFFSET < 65_536 and _free(port + BUS_OFFSET) and port not in ports:
            ports.append(port)
    return ports


@dataclass
class RedisCluster:
    ports: list[int]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def stop(self) -> None:
        for process in self.processes:
            process.kill()
        for process in self.processes:
            process.wait(timeout=10)


def start_cluster(directory: Path) -> RedisCluster:
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if not server or not cli:
        raise RuntimeError("redis-server and redis-cli are needed for the Redis Cluster tests")
    cluster = RedisCluster(_spare_ports(NODES))
    for port in cluster.ports:
        node = directory / str(port)
        node.mkdir(parents=True)
        cluster.processes.append(
            subprocess.Popen(
                [server, "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                 "--cluster-config-file", "nodes.conf", "--dir", str(node), "--save", "",
                 "--appendonly", "no", "--logfile", str(node / "log")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip
    try:
        for port in cluster.ports:
            _await(lambda port=port: redis.Redis(port=port).ping(), f"node {port}")
        addresses = [f"127.0.0.1:{port}" for port in cluster.ports]
        subprocess.run(
            [cli, "--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        for port in cluster.ports:
            _await(lambda port=port: _cluster_ok(port), f"cluster state at {port}")
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _cluster_ok(port: int) -> bool:
    client = redis.Redis(port=port)
    try:
        return bool(client.cluster("info")["cluster_state"] == "ok")
    finally:
        client.close()


def _await(check: object, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except redis.ConnectionError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"Redis Cluster: {what} not ready within {seconds:.0f} s")
