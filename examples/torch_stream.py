"""Train a tiny CTC line recogniser on lines streamed from thaigen, no dataset on disk (CPU, a few steps).

    .venv/bin/pip install -e '.[torch]'
    .venv/bin/python examples/torch_stream.py --steps 20 --workers 2

Each DataLoader worker draws its own share of the indices (thaigen.torch.Dataset), so the batches are the same
on every run with the same seed and worker count. The model is a toy: it shows the plumbing, not accuracy.
"""

from __future__ import annotations

import argparse
import math

import torch
from torch import nn
from torch.utils.data import DataLoader

from thaigen import make_config
from thaigen.torch import Dataset, collate, to_float

ALPHABET = [chr(c) for c in range(0x0E01, 0x0E5C)] + [chr(c) for c in range(0x20, 0x7F)]
"""Characters the model can write: the Thai block and printable ASCII; class 0 is CTC's blank."""
CLASSES = {character: number for number, character in enumerate(ALPHABET, start=1)}
POOL = 4
"""Width pooling of the model: one CTC step per POOL px of line."""


class TinyCRNN(nn.Module):
    """Two conv blocks, height averaged away, a linear layer per column: B x 3 x H x W -> W/POOL x B x classes."""

    def __init__(self, classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )  # fmt: skip
        self.head = nn.Linear(64, classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        columns = self.features(images).mean(dim=2).permute(2, 0, 1)  # W/POOL x B x 64
        return self.head(columns).log_softmax(dim=2)


def targets(labels: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """CTC targets (concatenated class numbers) and their lengths; characters outside ALPHABET are left out."""
    encoded = [[CLASSES[c] for c in label if c in CLASSES] for label in labels]
    return torch.tensor([n for e in encoded for n in e], dtype=torch.int64), torch.tensor([len(e) for e in encoded])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    config = make_config("mixed", count=args.steps * args.batch, seed=args.seed)
    lines = Dataset(config, endless=True, transform=to_float)
    loader = DataLoader(lines, batch_size=args.batch, collate_fn=collate, num_workers=args.workers)
    model = TinyCRNN(len(ALPHABET) + 1)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    for step, batch in zip(range(1, args.steps + 1), loader):
        log_probs = model(batch["image"])
        flat, lengths = targets(batch["label"])
        loss = ctc(log_probs, flat, batch["width"] // POOL, lengths)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        print(f"step {step} loss {loss.item():.4f}", flush=True)
        if not math.isfinite(loss.item()):
            raise SystemExit(f"step {step}: loss is {loss.item()}")


if __name__ == "__main__":
    main()
