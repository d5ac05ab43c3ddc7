"""helpers.distribute: free ports, TF_CONFIG, and a local cluster that always cleans up."""

import time

import pytest

from helpers.distribute import drop_shutdown_notices, free_ports, local_cluster, tf_config

ECHO = """
import json, os, sys
config = json.loads(os.environ["TF_CONFIG"])
print(config["task"]["index"], ",".join(config["cluster"]["worker"]), sys.argv[1])
"""


def test_free_ports_are_distinct_and_checked():
    ports = free_ports(3)
    assert len(set(ports)) == 3 and all(1024 <= p < 65536 for p in ports)
    with pytest.raises(ValueError, match="positive integer"):
        free_ports(0)


def test_tf_config_names_every_worker_and_this_task():
    config = tf_config(["127.0.0.1:1000", "127.0.0.1:1001"], 1)
    assert config == {
        "cluster": {"worker": ["127.0.0.1:1000", "127.0.0.1:1001"]},
        "task": {"type": "worker", "index": 1},
    }
    with pytest.raises(ValueError, match="index must be 0 to 1"):
        tf_config(["127.0.0.1:1000", "127.0.0.1:1001"], 2)
    with pytest.raises(ValueError, match="'host:port' strings"):
        tf_config(["localhost"], 0)


def test_workers_get_their_tf_config_and_the_directory_goes_away():
    with local_cluster(num_workers=2) as cluster:
        (cluster.directory / "echo.py").write_text(ECHO)
        results = cluster.run("echo.py", args=["hello"], timeout=60)
        directory = cluster.directory
    assert not directory.exists()
    addresses = ",".join(cluster.addresses)
    assert [r.stdout for r in results] == [f"{i} {addresses} hello\n" for i in range(2)]
    assert all(a.startswith("127.0.0.1:") for a in cluster.addresses)
    assert [r.returncode for r in results] == [0, 0] and [r.stderr for r in results] == ["", ""]


def test_a_failing_body_still_kills_the_workers_and_removes_the_directory():
    with pytest.raises(AssertionError, match="the body failed"):
        with local_cluster(num_workers=2) as cluster:
            (cluster.directory / "sleep.py").write_text("import time\ntime.sleep(600)\n")
            directory = cluster.directory
            with pytest.raises(RuntimeError, match="2 of 2 workers failed"):
                cluster.run("sleep.py", timeout=1)  # killed at the timeout
            assert all(p.poll() is not None for p in cluster.processes)
            raise AssertionError("the body failed")
    assert not directory.exists()


def test_workers_still_running_when_the_block_fails_are_killed():
    import subprocess
    import sys

    with pytest.raises(KeyboardInterrupt):
        with local_cluster(num_workers=1) as cluster:
            process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
            cluster.processes.append(process)  # as run() would, before it waits
            time.sleep(0.1)
            raise KeyboardInterrupt  # an interrupted cell
    assert process.poll() is not None and not cluster.directory.exists()


def test_a_failed_worker_is_reported_with_its_output():
    with local_cluster(num_workers=2) as cluster:
        (cluster.directory / "bad.py").write_text("raise SystemExit('no data.npz here')\n")
        with pytest.raises(RuntimeError, match=r"worker 0 exited with 1:\n.*no data.npz here"):
            cluster.run("bad.py", timeout=60)
        with pytest.raises(FileNotFoundError, match="write it there first"):
            cluster.run("missing.py")


NOTICE = (
    "E0000 00:00:1795323471.487283   26859 base_collective_executor.cc:252] "
    "BaseCollectiveExecutor::StartAbort UNAVAILABLE: Error reported from /job:worker/task:1: "
    "The following tasks are unhealthy (stopped sending heartbeats):\n"
    "/job:worker/replica:0/task:1\n"
    "The tasks have crashed. Check the task logs for an earlier error. [type.googleapis.com]"
)


LEADER_GONE = (
    "E0000 00:00:1795324013.520388    1562 base_collective_executor.cc:252] "
    "BaseCollectiveExecutor::StartAbort UNAVAILABLE: Failed to send RPC to coordination service. "
    "Either the leader task was preempted/died/restarted unexpectedly.\n"
    "Additional GRPC error information from remote target /job:worker/replica:0/task:0 while "
    "calling /tensorflow.CoordinationService/Heartbeat:\n"
    ":UNKNOWN:Error received from peer  {grpc_message:\"failed to connect to all addresses\"}"
)


def test_shutdown_notices_are_dropped_only_when_every_worker_succeeded():
    other = "E0000 00:00:1795323471.5   26859 some_op.cc:12] a real error"
    lines = ["before", *NOTICE.splitlines(), other, *LEADER_GONE.splitlines()]
    assert drop_shutdown_notices(lines) == ["before", other]
    rpc_failure = "E0000 00:00:17.5   26859 rpc.cc:12] Failed to send RPC to coordination service"
    assert drop_shutdown_notices([rpc_failure]) == [rpc_failure]  # not at a heartbeat: kept
    script = f"import sys\nsys.stderr.write({NOTICE + chr(10)!r})\nsys.exit(int(sys.argv[1]))\n"
    with local_cluster(num_workers=1) as cluster:
        (cluster.directory / "notice.py").write_text(script)
        assert cluster.run("notice.py", args=["0"])[0].stderr == ""
        with pytest.raises(RuntimeError, match="stopped sending heartbeats"):
            cluster.run("notice.py", args=["1"])


STEPPER = """
import json, os, sys, time
index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
for step in range(3):
    time.sleep(0.3 if index == 0 else 0.05)  # worker 1 is always ahead
    print(f"step {step}", flush=True)
"""


def test_echo_prints_the_workers_lines_round_by_round(tmp_path, capsys):
    script = tmp_path / "stepper.py"  # a script outside the directory is copied in
    script.write_text(STEPPER)
    with local_cluster(num_workers=2) as cluster:
        results = cluster.run(script, timeout=60, echo=True)
        assert (cluster.directory / "stepper.py").read_text() == STEPPER
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"worker {i}: step {k}" for k in range(3) for i in range(2)]
    assert [r.stdout for r in results] == ["step 0\nstep 1\nstep 2\n"] * 2


def test_the_course_worker_script_starts_tensorflow_through_the_course():
    from helpers.distribute import WORKER_SCRIPT

    source = WORKER_SCRIPT.read_text()
    # the course's device rule, the CPU only, and no operation before the strategy
    start = "tf = helpers.import_tensorflow_quietly(gpu=False, initialise_devices=False)"
    strategy = "strategy = tf.distribute.MultiWorkerMirroredStrategy()"
    assert start in source and source.index(start) < source.index(strategy)
    assert "import tensorflow" not in source
