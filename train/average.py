"""Checkpoint averaging: the weights a run keeps are the mean of its weights at the end of every epoch
from `training.average_from_epoch` on, rather than the one epoch with the best dev window F1.

Why: on this corpus the best epoch is a coin toss between epochs 3-6 (their dev window F1 differ by
less than 0.01), and which one wins moves dev COMPANY F1 by several points from seed to seed. The mean
of a run's late weights sits in the middle of the region those epochs wander around (Izmailov et al.
2018, "Averaging weights leads to wider optima"), costs no training time and leaves the network as it
is. But with little data the first epochs are far from trained (dev window F1 0.00-0.19 after epoch 1
on 25-100 passages, against 0.75 on the whole corpus) and their mean falls 0.03-0.05 below the best epoch:
so the mean is kept only when its dev window F1 is at most KEEP_WITHIN below the best epoch's (on the whole
corpus, three seeds: -0.003, +0.000, +0.009), and the best epoch's weights otherwise.
Only floating-point tensors are averaged: integer buffers (the bigram table's keys) are the same
in every epoch and would lose precision in a float mean.
"""
from __future__ import annotations

import torch
from transformers import TrainerCallback


# How far below the best epoch's dev window F1 the mean's may fall and still be kept: about the spread of
# the late epochs' window F1 on the whole corpus (under 0.01), well inside the loss with little data.
KEEP_WITHIN = 0.01


class EpochAverage(TrainerCallback):
    """Sums the model's floating-point weights at the end of every epoch from `first` (1-based) on;
    `apply` loads their mean into the model."""

    def __init__(self, first: int):
        self.first = first
        self.epochs: list[int] = []
        self._sum: dict[str, torch.Tensor] = {}

    def on_epoch_end(self, args, state, control, model=None, **kwargs):
        epoch = round(state.epoch or 0)
        if epoch < self.first:
            return
        for name, tensor in model.state_dict().items():
            if tensor.is_floating_point():
                value = tensor.detach().to("cpu", torch.float64)
                self._sum[name] = self._sum[name] + value if name in self._sum else value.clone()
        self.epochs.append(epoch)

    def apply(self, model) -> dict[str, torch.Tensor] | None:
        """Load the mean into `model` (its integer buffers are kept) and return the weights it replaced
        (to load back when the mean is not kept); None, and the model left as it is, when training stopped before `first`."""
        if not self.epochs:
            return None
        state = model.state_dict()
        before = {name: tensor.detach().clone() for name, tensor in state.items()}
        mean = {name: (total / len(self.epochs)).to(state[name].dtype) for name, total in self._sum.items()}
        model.load_state_dict({**state, **mean})
        return before
