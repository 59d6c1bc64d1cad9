"""Checkpoint averaging (training.average_from_epoch): the saved weights are the mean of the late epochs'."""
import json
from types import SimpleNamespace

import pytest
import torch

from train.average import EpochAverage
from train.config import ConfigError, load_config


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 2)
        # an integer buffer like the bigram table's keys: large ids a float mean would round
        self.register_buffer("keys", torch.tensor([2**40 + 1, 7], dtype=torch.int64))


def end_epochs(avg: EpochAverage, net: Net, weights: list[float]) -> None:
    for epoch, value in enumerate(weights, start=1):
        with torch.no_grad():
            net.linear.weight.fill_(value)
            net.linear.bias.fill_(-value)
        avg.on_epoch_end(None, SimpleNamespace(epoch=float(epoch)), None, model=net)


def test_the_mean_of_the_epochs_from_the_first_averaged_one_is_loaded_and_integer_buffers_kept():
    net, avg = Net(), EpochAverage(first=2)
    end_epochs(avg, net, [10.0, 1.0, 2.0, 6.0])
    before = avg.apply(net)
    assert avg.epochs == [2, 3, 4]
    assert torch.equal(net.linear.weight, torch.full((2, 2), 3.0))
    assert torch.equal(net.linear.bias, torch.full((2,), -3.0))
    assert net.keys.tolist() == [2**40 + 1, 7]
    net.load_state_dict(before)  # what fit does when the mean scores too far below the best epoch
    assert torch.equal(net.linear.weight, torch.full((2, 2), 6.0)) and net.keys.tolist() == [2**40 + 1, 7]


def test_a_run_that_stopped_before_the_first_averaged_epoch_keeps_its_weights():
    net, avg = Net(), EpochAverage(first=3)
    end_epochs(avg, net, [1.0, 2.0])
    before = {k: v.clone() for k, v in net.state_dict().items()}
    assert avg.apply(net) is None
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


@pytest.mark.parametrize("value", [-1, 4, 1.5])
def test_average_from_epoch_must_be_an_epoch_of_the_run(tmp_path, value):
    config = tmp_path / "c.yaml"
    config.write_text(f"output: {tmp_path / 'm'}\ntraining: {{epochs: 3, average_from_epoch: {value}}}\n")
    with pytest.raises(ConfigError, match="average_from_epoch"):
        load_config(config)


@pytest.mark.slow
@pytest.mark.parametrize("keep_within", [1.0, -1.0])
def test_fit_saves_the_mean_of_the_averaged_epochs_unless_it_scores_too_far_below_the_best(
        root, tmp_path, tiny_config, monkeypatch, keep_within):
    """keep_within 1.0: any mean is kept; -1.0: none is (its window F1 would have to beat the best by 1)."""
    from safetensors.torch import load_file

    import train.fit
    from train.fit import fit

    snapshots = []
    record = EpochAverage.on_epoch_end

    def recording(self, args, state, control, model=None, **kwargs):
        snapshots.append((round(state.epoch), {k: v.detach().clone() for k, v in model.state_dict().items()}))
        return record(self, args, state, control, model=model, **kwargs)

    monkeypatch.setattr(EpochAverage, "on_epoch_end", recording)
    monkeypatch.setattr(train.fit, "KEEP_WITHIN", keep_within)
    path = tiny_config(tmp_path, -1, {"dev_docs": ["004_e34ce637d7128e12"]}, epochs=3, average_from_epoch=2, patience=5)
    fit(load_config(path))
    saved = load_file(tmp_path / "tiny" / "model.safetensors")
    metrics = json.loads((tmp_path / "tiny" / "metrics.json").read_text())
    assert [epoch for epoch, _ in snapshots] == [1, 2, 3]
    assert metrics["averaged_epochs"] == [2, 3] and 0.0 <= metrics["averaged_dev_window_f1"] <= 1.0
    late = [state for epoch, state in snapshots if epoch >= 2]
    assert not torch.equal(late[0]["classifier.weight"], late[1]["classifier.weight"])  # the mean is of different weights
    if keep_within > 0:
        assert metrics["average_kept"] is True
        for name, tensor in saved.items():
            expected = (late[0][name].double() + late[1][name].double()) / 2 if tensor.is_floating_point() else late[1][name]
            assert torch.allclose(tensor.double(), expected, atol=1e-6), name
    else:  # the best epoch's weights, as without averaging
        assert metrics["average_kept"] is False
        scores = [row["eval_f1"] for row in metrics["log_history"] if "eval_f1" in row][:3]
        best = [state for (_, state), f1 in zip(snapshots, scores) if f1 == metrics["best_dev_window_f1"]]
        assert any(all(torch.equal(saved[k], state[k]) for k in saved) for state in best)
