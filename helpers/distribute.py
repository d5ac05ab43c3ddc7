"""Start a small TensorFlow cluster of worker processes on this machine, and always clean up.

``MultiWorkerMirroredStrategy`` needs one Python process per worker, each told by the
``TF_CONFIG`` environment variable where every worker listens and which one it is. Notebook
08 shows its worker script (``helpers/scripts/mwms_worker.py``, so the learner reads it); this
module does the rest:

* ``free_ports(n)`` finds ``n`` TCP ports free on 127.0.0.1 at run time (no fixed numbers
  that another program may hold);
* ``tf_config(addresses, index)`` is the ``TF_CONFIG`` of worker ``index``;
* ``local_cluster()`` is a context manager: a temporary directory for the script and its
  files, ``run()`` to start the workers and wait for them (printing their lines as they
  come, if asked), and, when the block ends for any
  reason (a failed assert, an interrupted cell), every worker still running is killed and
  the directory removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

# The workers reach each other over the loopback interface (TensorFlow's gRPC server still
# listens on every interface, at the port TF_CONFIG gives it).
HOST = "127.0.0.1"
WORKER_SCRIPT = Path(__file__).resolve().parent / "scripts" / "mwms_worker.py"  # 08's worker

# A C++ log record starts like "E0000 00:00:1795323471.487283   26859 file.cc:252] ...";
# its message may continue on further lines.
_RECORD_START = re.compile(r"^[IWEF]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\]")
# When one worker exits a moment before the other, the coordination service logs it: the chief
# (which runs the service) that the other "stopped sending heartbeats", the other that it
# "Failed to send RPC to coordination service" once the chief has gone. Both are dropped only
# when every worker exited with status 0; then they are about the end of the run, not a failure.
SHUTDOWN_NOTICES = (
    re.compile(r"The following tasks are unhealthy \(stopped sending heartbeats\)"),
    re.compile(r"Failed to send RPC to coordination service.*\n(.*\n)*.*Heartbeat"),
)


def drop_shutdown_notices(lines: Sequence[str]) -> list[str]:
    """``lines`` without the log records (with their continuation lines) of ``SHUTDOWN_NOTICES``.

    Introduced in 08_distributed.
    """
    kept: list[str] = []
    record: list[str] = []

    def flush() -> None:
        text = "\n".join(record)
        if not any(p.search(text) for p in SHUTDOWN_NOTICES):
            kept.extend(record)
        record.clear()

    for line in lines:
        if _RECORD_START.match(line) and record:
            flush()
        if _RECORD_START.match(line) or record:
            record.append(line)
        else:
            kept.append(line)
    if record:
        flush()
    return kept


def free_ports(n: int) -> list[int]:
    """``n`` distinct TCP ports that are free on 127.0.0.1 now (the system picks them).

    Introduced in 08_distributed.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer (how many ports), got {n!r}")
    sockets = []
    try:
        for _ in range(n):  # keep every socket open until all are chosen: no port twice
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_config(addresses: Sequence[str], index: int) -> dict:
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of workers at ``addresses``.

    Introduced in 08_distributed.
    """
    addresses = list(addresses)
    if not addresses or not all(isinstance(a, str) and ":" in a for a in addresses):
        raise ValueError(f"addresses must be 'host:port' strings, got {addresses!r}")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(addresses):
        raise ValueError(f"index must be 0 to {len(addresses) - 1}, got {index!r}")
    return {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}}


@dataclass
class WorkerResult:
    """What one worker process left behind: its exit code, stdout and filtered stderr.

    Introduced in 08_distributed.
    """

    index: int
    returncode: int
    stdout: str
    stderr: str  # without TensorFlow's start-up lines, nor shutdown notices if all succeeded


class LocalCluster:
    """Worker processes on 127.0.0.1 sharing a temporary directory; see ``local_cluster``.

    Introduced in 08_distributed.
    """

    def __init__(self, num_workers: int, directory: Path) -> None:
        self.num_workers = num_workers
        self.directory = directory
        self.addresses: list[str] = []
        self.processes: list[subprocess.Popen] = []

    def run(self, script: str | Path, args: Sequence[str] = (), timeout: float = 300.0,
            echo: bool = False) -> list[WorkerResult]:
        """Start one process per worker (``python script *args``, cwd the directory) and wait.

        ``script`` is a file in the directory, or a path elsewhere, copied into it first.
        Each gets ``TF_CONFIG`` with fresh free ports and its index; stdout and stderr are
        captured to files in the directory. ``echo=True`` prints the workers' stdout while
        they run, ``worker i: line``, round by round: the k-th line of every worker, in worker
        order, as soon as each has written it (so the order is the same on every run when
        the workers print the same number of lines). Raises ``RuntimeError`` with the
        workers' output if one fails or they do not finish within ``timeout`` seconds.
        """
        from .setup import is_startup_noise

        script = Path(script)
        if script.is_absolute() and script.is_file() and script.parent != self.directory:
            shutil.copy(script, self.directory / script.name)
            script = Path(script.name)
        if not (self.directory / script).is_file():
            raise FileNotFoundError(
                f"no script {script} in the cluster's directory; write it there first"
            )
        self.addresses = [f"{HOST}:{port}" for port in free_ports(self.num_workers)]
        logs, started = [], []
        for index in range(self.num_workers):
            env = dict(os.environ)
            env["TF_CONFIG"] = json.dumps(tf_config(self.addresses, index))
            env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            out = open(self.directory / f"worker{index}.out", "w+b")  # noqa: SIM115
            err = open(self.directory / f"worker{index}.err", "w+b")  # noqa: SIM115
            logs.append((out, err))
            started.append(
                subprocess.Popen(
                    [sys.executable, str(script), *args],
                    cwd=self.directory,
                    env=env,
                    stdout=out,
                    stderr=err,
                    stdin=subprocess.DEVNULL,
                )
            )
            self.processes.append(started[-1])  # stop() kills it whatever happens next
        self._wait(started, [out for out, _ in logs], timeout, echo)
        results = []
        for index, (process, (out, err)) in enumerate(zip(started, logs, strict=True)):
            out.seek(0), err.seek(0)
            stdout = out.read().decode("utf-8", errors="replace")
            lines = err.read().decode("utf-8", errors="replace").splitlines()
            out.close(), err.close()
            lines = [line for line in lines if not is_startup_noise(line)]
            results.append(WorkerResult(index, process.returncode, stdout, "\n".join(lines)))
        failed = [r for r in results if r.returncode != 0]
        if not failed:
            for r in results:
                r.stderr = "\n".join(drop_shutdown_notices(r.stderr.splitlines()))
        if failed:
            report = "\n".join(
                f"worker {r.index} exited with {r.returncode}:\n"
                f"{r.stdout[-1000:]}{r.stderr[-2000:]}"
                for r in failed
            )
            raise RuntimeError(f"{len(failed)} of {self.num_workers} workers failed:\n{report}")
        return results

    def _wait(self, started: list[subprocess.Popen], outs: list, timeout: float,
              echo: bool) -> None:
        """Wait for every worker (killing all at ``timeout``), echoing stdout round by round."""
        deadline = time.monotonic() + timeout
        lines: list[list[str]] = [[] for _ in started]
        shown = 0  # rounds printed

        def echo_rounds(final: bool) -> None:
            nonlocal shown
            for index, out in enumerate(outs):
                with open(out.name, "rb") as reader:
                    text = reader.read().decode("utf-8", errors="replace")
                complete = text if final else text[: text.rfind("\n") + 1]
                lines[index] = complete.splitlines()
            rounds = max(map(len, lines)) if final else min(map(len, lines))
            for k in range(shown, rounds):
                for index, worker_lines in enumerate(lines):
                    if k < len(worker_lines):
                        print(f"worker {index}: {worker_lines[k]}", flush=True)
            shown = max(shown, rounds)

        while any(p.poll() is None for p in started):
            if time.monotonic() > deadline:
                self.stop()
                break
            if echo:
                echo_rounds(final=False)
            time.sleep(0.1)
        if echo:
            echo_rounds(final=True)

    def stop(self) -> None:
        """Kill every worker process that is still running, and reap it."""
        for process in self.processes:
            if process.poll() is None:
                process.kill()
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)


@contextlib.contextmanager
def local_cluster(num_workers: int = 2) -> Iterator[LocalCluster]:
    """A cluster of ``num_workers`` worker processes on 127.0.0.1, cleaned up on any exit.

    Yields a ``LocalCluster`` whose ``directory`` is a new temporary directory: write the
    worker script and its input files there, then call ``run(script)``. When the block ends,
    normally or by an exception, workers still running are killed and the directory with
    everything in it is removed.

    Introduced in 08_distributed.
    """
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 1:
        raise ValueError(f"num_workers must be a positive integer, got {num_workers!r}")
    with tempfile.TemporaryDirectory(prefix="course08-cluster-") as directory:
        cluster = LocalCluster(num_workers, Path(directory))
        try:
            yield cluster
        finally:
            cluster.stop()
