"""A long run under faults, as separate processes: a signal or kill -9 to any process of a DDP run, a kill -9
or a closed terminal on one process, a disk that fills up, and two "machines" (node processes) on this
one. Nothing is lost beyond what the periodic last.ckpt allows, no process outlives the others by more
than a few seconds, and every end is one line. No test asserts a timing beyond generous deadlines."""

import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

LIT_GD = str(Path(sys.executable).with_name("lit-gd"))
QUIET = ["--trainer.enable_progress_bar", "false"]
LONG_RELU = ["fit", "--config", "configs/relu_regression.yaml", "--trainer.max_epochs", "1000000"]
EVERY_SECOND = ["--last_checkpoint.train_time_interval", "0:00:01"]  # last.ckpt also marks "training"
LAST = Path("logs/relu_regression/000-max_epochs=1000000/checkpoints/last.ckpt")


def start(*args: str, **kwargs) -> subprocess.Popen:
    command = [LIT_GD, *args, *QUIET]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def wait_for(path: Path, process: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not path.is_file():
        assert process.poll() is None, process.communicate()[1][-3000:]
        assert time.monotonic() < deadline, f"no {path} within {seconds} s"
        time.sleep(0.2)


def children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def last_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr[-3000:]
    return stderr.strip().splitlines()[-1]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rank", "signum"),
    [(0, signal.SIGTERM), (1, signal.SIGTERM), (1, signal.SIGHUP), (1, signal.SIGKILL), (0, signal.SIGKILL)],
)
def test_ddp_run_survives_a_signal_to_any_rank(rank, signum):
    """A signal to any one of the two processes stops both at the same step with last.ckpt written once;
    kill -9 of one ends the other within seconds, with one line where rank 0 lives on."""
    run = start(*LONG_RELU, "--config", "configs/presets/ddp.yaml", *EVERY_SECOND)
    wait_for(LAST, run)
    (other,) = children(run.pid)
    os.kill(run.pid if rank == 0 else other, signum)
    _, stderr = run.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while alive(other) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(other), "rank 1 outlived rank 0"
    if signum == signal.SIGKILL and rank == 0:
        assert run.returncode == -signal.SIGKILL
        return
    if signum == signal.SIGKILL:
        assert run.returncode == 1
        assert last_line(stderr).startswith("lit-gd: error: another process of this run ended")
        return
    assert run.returncode == 128 + signum
    step = torch.load(LAST, weights_only=True)["global_step"]
    assert last_line(stderr).startswith(
        f"lit-gd: stopped by {signum.name} at step {step}; last.ckpt is saved;"
    )


@pytest.mark.slow
def test_kill_9_loses_at_most_the_interval_and_resumes():
    run = start(*LONG_RELU, *EVERY_SECOND)
    wait_for(LAST, run)
    time.sleep(2)
    run.kill()
    run.wait(timeout=30)
    # 'last': the newest of the run's checkpoints, last.ckpt or a best-*.ckpt written after it
    newest = max(LAST.parent.glob("*.ckpt"), key=lambda path: path.stat().st_mtime)
    saved = torch.load(newest, weights_only=True)  # whole: each write is atomic
    assert saved["global_step"] > 0
    total = saved["global_step"] + 10
    resumed = start(*LONG_RELU[:-1], str(total), "--ckpt_path", "last")
    _, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr[-3000:]
    assert f"lit-gd: resuming from {newest}, saved at step {saved['global_step']}" in stderr
    resumed_last = LAST.parents[2] / f"001-max_epochs={total}/checkpoints/last.ckpt"
    assert torch.load(resumed_last, weights_only=True)["global_step"] == total


@pytest.mark.slow
def test_a_closed_terminal_stops_like_a_signal():
    run = start(*LONG_RELU, *EVERY_SECOND)
    wait_for(LAST, run)
    run.send_signal(signal.SIGHUP)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 129
    assert last_line(stderr).startswith("lit-gd: stopped by SIGHUP at step")


def small_disk() -> None:
    """In the child: files may grow to 6 KB (less than a checkpoint), then writes fail as on a full disk
    (EFBIG, with the signal that would kill the process ignored)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (6000, 6000))


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_keeps_earlier_checkpoints():
    done = start("fit", "--config", "configs/linear_regression.yaml", "--trainer.max_epochs", "3")
    assert done.wait(timeout=120) == 0
    earlier = Path("logs/linear_regression/000-max_epochs=3/checkpoints/last.ckpt").read_bytes()
    run = start("fit", "--config", "configs/synthetic_regression.yaml", preexec_fn=small_disk)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 1
    assert last_line(stderr).startswith("lit-gd: error: cannot write"), stderr[-2000:]
    assert "File too large" in last_line(stderr)
    assert Path("logs/linear_regression/000-max_epochs=3/checkpoints/last.ckpt").read_bytes() == earlier


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_two_nodes_on_one_machine_equal_one_process(tmp_path):
    """The README's multi-node recipe, each node a process in a folder of its own (as on its own machine):
    --trainer.num_nodes 2 with MASTER_ADDR, MASTER_PORT and NODE_RANK."""
    common = ["fit", "--config", "configs/relu_regression.yaml", "--trainer.max_epochs", "50"]
    common += ["--trainer.check_val_every_n_epoch", "10", "--trainer.accelerator", "cpu"]
    nodes = ["--trainer.num_nodes", "2", "--trainer.devices", "1", "--trainer.strategy", "ddp"]
    port = str(free_port())
    runs = []
    for node in (0, 1):
        folder = tmp_path / f"node{node}"
        folder.mkdir()
        (folder / "configs").symlink_to(Path("configs").resolve())
        env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port, "NODE_RANK": str(node)}
        runs.append(start(*common, *nodes, cwd=folder, env=env))
    for run in runs:
        _, stderr = run.communicate(timeout=300)
        assert run.returncode == 0, stderr[-3000:]
    single = start(*common, "--trainer.devices", "1")
    assert single.wait(timeout=300) == 0
    two = torch.load(
        tmp_path / "node0/logs/relu_regression/000-max_epochs=50/checkpoints/last.ckpt", weights_only=True
    )
    one = torch.load("logs/relu_regression/000-max_epochs=50/checkpoints/last.ckpt", weights_only=True)
    for name, value in one["state_dict"].items():
        torch.testing.assert_close(two["state_dict"][name], value, rtol=1e-6, atol=1e-7)
