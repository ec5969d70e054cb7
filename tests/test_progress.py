"""lit-gd's progress bar: Lightning's, showing the loss, redrawn at most every ``mininterval`` seconds, its
last state drawn when it closes."""

import torch
from lightning.pytorch.callbacks import TQDMProgressBar

from lit_gd.cli import main, run_cli
from lit_gd.progress import ThrottledProgressBar


def test_refresh_draws_once_per_interval_and_close_draws_the_last_state(capsys):
    bar = ThrottledProgressBar().init_train_tqdm()
    bar.mininterval = 3600  # nothing more is drawn until it closes
    drawn = capsys.readouterr().out
    for epoch in range(50):
        bar.reset(total=1)
        bar.set_description(f"Epoch {epoch}")
        bar.n = 1
        bar.set_postfix({"loss": torch.tensor(0.5 / (epoch + 1))})
    assert capsys.readouterr().out == ""
    bar.close()
    last = capsys.readouterr().out
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
    assert capsys.readouterr().out == ""


def test_lit_gd_draws_the_last_epoch_and_its_loss(capsys):
    main(["fit", "--config", "configs/quadratic.yaml", "--config", "configs/presets/cpu.yaml"])
    drawn = capsys.readouterr().out.replace("\r", "\n").splitlines()
    last = [line for line in drawn if line.startswith("Epoch")][-1]
    assert "Epoch 49: 100%" in last and "loss=" in last


def progress_bar(flags: str):
    cli = run_cli(["--config", "configs/not_gate.yaml", *flags.split()], run=False)
    return cli.trainer.progress_bar_callback


def test_the_cli_bar_is_throttled_unless_off_or_given():
    assert type(progress_bar("")) is ThrottledProgressBar
    assert progress_bar("--trainer.enable_progress_bar false") is None
    given = progress_bar("--trainer.callbacks TQDMProgressBar --trainer.callbacks.refresh_rate 5")
    assert type(given) is TQDMProgressBar and given.refresh_rate == 5
