from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def gold_examples():
    from train.data import load_examples

    return load_examples([ROOT / "annotations" / "gold"])


@pytest.fixture(scope="session")
def tiny_config():
    """Writes FOLDER/tiny.yaml: a 1-layer/32-hidden BERT trained for `max_steps` (seconds on CPU),
    output FOLDER/tiny; `data` overrides the recipe's data section. Returns the config's path."""
    import yaml

    def write(folder: Path, max_steps: int, data: dict) -> Path:
        config = folder / "tiny.yaml"
        config.write_text(yaml.safe_dump({
            "schema": str(ROOT / "configs" / "schema.yaml"),
            "data": data,
            "model": {"layers": 1, "hidden": 32, "heads": 2, "max_length": 64, "stride": 16},
            "training": {"max_steps": max_steps, "batch_size": 8, "learning_rate": 1e-3},
            "output": str(folder / "tiny"),
        }))
        return config

    return write
