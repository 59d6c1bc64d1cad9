"""chain-ie training: Label Studio data, label alignment, fitting, evaluation."""
