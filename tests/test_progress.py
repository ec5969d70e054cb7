"""lit-gd's progress bar: Lightning's, showing the loss, redrawn at most every ``mininterval`` seconds, its
last state drawn when it closes; on stderr, and only on a terminal."""

import pytest
import torch
from lightning.pytorch.callbacks import TQDMProgressBar

from lit_gd.cli import main, run_cli
from lit_gd.progress import ThrottledProgressBar


@pytest.fixture
def terminal(monkeypatch):
    """stderr is a terminal, as when a person runs lit-gd (it is captured here)."""
    monkeypatch.setattr("lit_gd.cli.stderr_is_a_terminal", lambda: True)


def test_refresh_draws_once_per_interval_and_close_draws_the_last_state(capsys):
    bar = ThrottledProgressBar().init_train_tqdm()
    bar.mininterval = 3600  # nothing more is drawn until it closes
    drawn = capsys.readouterr().err
    for epoch in range(50):
        bar.reset(total=1)
        bar.set_description(f"Epoch {epoch}")
        bar.n = 1
        bar.set_postfix({"loss": torch.tensor(0.5 / (epoch + 1))})
    assert capsys.readouterr().err == ""
    bar.close()
    last = capsys.readouterr().err
    assert drawn.count("\r") == 1 and "Epoch 49: 100%" in last and "1/1" in last and "loss=0.01" in last


def test_a_disabled_bar_goes_through_an_epoch_silently(capsys):
    """Under DDP Lightning disables the bar of every process but rank 0; it must still take every call."""
    progress = ThrottledProgressBar()
    progress.disable()
    bar = progress.init_train_tqdm()
    bar.reset(total=1)
    bar.set_description("Epoch 0")
    bar.n = 1
    bar.set_postfix({"loss": torch.tensor(0.5)})
    bar.refresh()
    bar.close()
    assert capsys.readouterr().err == ""


def test_lit_gd_draws_the_last_epoch_and_its_loss(terminal, capsys):
    main(["fit", "--config", "configs/quadratic.yaml", "--config", "configs/presets/cpu.yaml"])
    printed = capsys.readouterr()
    assert "Epoch" not in printed.out and "quadratic: 50 steps" in printed.out  # stdout: results only
    drawn = printed.err.replace("\r", "\n").splitlines()
    last = [line for line in drawn if line.startswith("Epoch")][-1]
    assert "Epoch 49: 100%" in last and "loss=" in last


def progress_bar(flags: str):
    cli = run_cli(["--config", "configs/not_gate.yaml", *flags.split()], run=False)
    return cli.trainer.progress_bar_callback


def test_no_bar_off_a_terminal_and_a_clean_table_from_predict(capsys):
    """Redirected (stderr not a terminal), no bar; predict's stdout is the table alone."""
    assert progress_bar("") is None
    main(["fit", "--config", "configs/not_gate.yaml", "--config", "configs/presets/cpu.yaml"])
    capsys.readouterr()
    main(["predict", "--config", "configs/not_gate.yaml", "--ckpt_path", "last"])
    printed = capsys.readouterr()
    assert printed.out.splitlines() == ["x,prediction", "0,0.8543227", "1,0.9822273"]  # > file: the CSV
    assert "lit-gd: predictions written to logs/not_gate/001-defaults/predictions.csv" in printed.err


def test_the_cli_bar_is_throttled_unless_off_or_given(terminal):
    assert type(progress_bar("")) is ThrottledProgressBar
    assert progress_bar("--trainer.enable_progress_bar false") is None
    given = progress_bar("--trainer.callbacks TQDMProgressBar --trainer.callbacks.refresh_rate 5")
    assert type(given) is TQDMProgressBar and given.refresh_rate == 5
