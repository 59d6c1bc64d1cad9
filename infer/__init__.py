"""chain-ie runtime: `from infer import Pipeline` (infer/pipeline.py).

Pipeline is imported on first use, so `import infer.schema` (validation, Label Studio setup,
`python -m infer records`) does not pay for torch and transformers."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from infer.pipeline import Pipeline

__all__ = ["Pipeline"]


def __getattr__(name: str) -> Any:
    if name == "Pipeline":
        from infer.pipeline import Pipeline

        return Pipeline
    raise AttributeError(f"module 'infer' has no attribute {name!r}")
