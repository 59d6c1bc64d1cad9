"""Benchmarks of chain-ie: speed against transformers' pipeline, accuracy, and memory.

Each is a module run from the repository root (`python -m bench.speed --quick`,
`python -m bench.accuracy`, `python -m bench.memory`) and writes its full results as JSON under
bench/results/. Speed targets live here, never in timed tests.
"""
