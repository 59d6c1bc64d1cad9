"""`python -m train lexicon`: the word lists behind CharNet's lexicon features (infer/lexicon.py).

Five categories, each stored as the sorted int64 keys of its words' token-id sequences (never the
words: the folder quotes no text, and models/ is outside git anyway):

- general: jieba 0.42.1's dictionary (MIT), words of 2..MAX_WORD characters, read at build time from
  the sdist (pinned by sha256; jieba is neither installed nor imported);
- company, chain, official, indicator: mined from the recipe's training split only (its gold; the
  dev and test documents of data.dev_docs/test_docs are never read) and from silver, whose
  labelling functions and company gazetteer run on the archive documents silver may use (dev, test
  and seed-city documents left out, train.silver_set.allowed_documents); a silver word counts when
  the functions give it in at least SILVER_MIN_DOCUMENTS documents (silver is noisy), and the
  gazetteer's names (confirmed by a legal suffix) always. Company names come with
  their short forms (信发集团), chain names also without 产业链 (有色金属), official mentions give
  their title phrase (市委书记, not the person's name) plus silver's title words, and METRIC spans
  give the indicator before the number (规上工业增加值, without 同比增长).

Words with a character the tokenizer does not know are left out (an [UNK] is no evidence of a
word). Two different words with the same key would stop the build.
"""
from __future__ import annotations

import hashlib
import io
import re
import sys
import tarfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import torch

from infer.encoding import CharEncoder
from infer.io import check_writable, usual_mode, write_json
from infer.lexicon import (FLAGS, HASH, INFO_FILE, MAX_WORD, WEIGHTS_FILE, LexiconError, load_tables, merged_table,
                           word_key)

JIEBA = "jieba-0.42.1.tar.gz"
JIEBA_SHA256 = "055ca12f62674fafed09427f176506079bc135638a14e23e25be909131928db2"
JIEBA_DICT = "jieba-0.42.1/jieba/dict.txt"
JIEBA_NOTICE = ("The general category holds hashes of the words of jieba 0.42.1's dict.txt (https://github.com/fxsjy/jieba), "
                "read by chain-ie's `python -m train lexicon`. jieba is under the MIT License (its sdist declares it and "
                "ships no licence file):\n\nCopyright (c) 2013 Sun Junyi\n\n"
                "Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated "
                "documentation files (the \"Software\"), to deal in the Software without restriction, including without "
                "limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the "
                "Software, and to permit persons to whom the Software is furnished to do so, subject to the following "
                "conditions:\n\nThe above copyright notice and this permission notice shall be included in all copies or "
                "substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, "
                "EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR "
                "PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, "
                "DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN "
                "CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.")
CATEGORIES = ("general", "company", "chain", "official", "indicator")
LABEL_CATEGORY = {"COMPANY": "company", "CHAIN": "chain", "OFFICIAL": "official", "METRIC": "indicator"}
LICENSE_FILE = "JIEBA-NOTICE"
CHAIN_STEM = re.compile(r"全?(?:产业链条|产业链|产业集群|产业|链)$")
# silver is noisy: a word its labelling functions give counts when they give it in this many documents
SILVER_MIN_DOCUMENTS = 2
NUMBER_START = re.compile(r"[0-9０-９]|[一二两三四五六七八九十百千万]+(?:亿|万)元|[一二三四五六七八九]成")
INDICATOR_TAIL = re.compile(r"(?:同比|增长|增加|达到|达|突破|超过|提高|提升|下降|减少|分别|为|是|的|了|已|共|约|近|超|逾|"
                            r"实现|完成|和|及|与)+$")


class LexiconBuildError(ValueError):
    """The jieba archive or the mined words cannot be used; the message says what to do."""


def read_jieba(path: Path) -> tuple[dict[str, int], str]:
    """jieba's dictionary as {word: frequency}, and the sha256 of dict.txt, after checking the sdist's
    sha256 against the pin."""
    if not path.is_file():
        raise LexiconBuildError(f"{path}: no such file; get it with "
                                "`pip download jieba==0.42.1 --no-deps --no-binary :all: -d /tmp/jieba`")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != JIEBA_SHA256:
        raise LexiconBuildError(f"{path}: sha256 {digest} is not the pinned {JIEBA} ({JIEBA_SHA256})")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        raw = archive.extractfile(JIEBA_DICT).read()
    words = {}
    for line in raw.decode("utf-8").splitlines():
        parts = line.split(" ")
        if len(parts) >= 2 and parts[1].isdigit():
            words[parts[0]] = int(parts[1])
    return words, hashlib.sha256(raw).hexdigest()


def general_words(dictionary: dict[str, int], min_freq: int) -> set[str]:
    """jieba words of 2..MAX_WORD characters with at least `min_freq` (single characters are what the
    character embeddings already know)."""
    return {w for w, f in dictionary.items() if 2 <= len(w) <= MAX_WORD and f >= min_freq}


def indicator_name(metric: str) -> str:
    """The indicator a METRIC span measures: its text before the first number, without the lead words a
    METRIC may start with (全市, 今年, ...) and the comparison words before the value (同比增长, 达到)."""
    from train.silver import LEAD

    number = NUMBER_START.search(metric)
    name = metric[: number.start()] if number else ""
    lead = LEAD.match(name)
    name = name[lead.end():] if lead else name
    return INDICATOR_TAIL.sub("", name)


def title_phrases(official: str) -> list[str]:
    """The title phrase of each 、-separated part of an OFFICIAL mention (up to its last title word:
    `聊城市委书记李长萍` -> `聊城市委书记`), and the title words themselves; never the person's name."""
    from train.silver import TITLE

    out = []
    for part in official.split("、"):
        found = list(TITLE.finditer(part))
        if found:
            out.append(part[: found[-1].end()])
            out += [m.group() for m in found]
    return out


def category_words(label: str, text: str) -> list[str]:
    """The lexicon words one entity span of `label` gives (see the module docstring)."""
    from train.silver import short_forms

    category = LABEL_CATEGORY[label]
    if category == "company":
        return [text, *short_forms(text)]
    if category == "chain":
        return [text, CHAIN_STEM.sub("", text)]
    if category == "official":
        return title_phrases(text)
    return [indicator_name(text)]


def domain_words(config: dict) -> tuple[dict[str, set[str]], dict]:
    """The domain categories' words from the recipe's training gold and from silver, and where they came
    from (files and their sha256, document counts); dev and test documents are never read."""
    from infer.model_folder import file_sha256
    from train.fit import gold_files, split_examples
    from train.silver import TITLES, label_document, labelling_functions, mine_gazetteer
    from train.silver_set import SOURCES, allowed_documents, held_out_documents

    words: dict[str, set[str]] = defaultdict(set)
    train, _, _ = split_examples(config)
    for ex in train:
        for span in ex.spans:
            if span.label in LABEL_CATEGORY:
                words[LABEL_CATEGORY[span.label]].update(category_words(span.label, span.text))
    sources: dict = {"train_paragraphs": len(train), "train_documents": len({ex.doc for ex in train}),
                     "gold_files": {str(f): file_sha256(f) for f in gold_files(config)}}
    archive = Path(config["data"]["archive"])
    if archive.is_dir():
        documents = [text for _, _, text in allowed_documents(archive, held_out_documents(config))]
        gazetteer = mine_gazetteer(documents)
        functions = labelling_functions(gazetteer)
        silver: dict[tuple[str, str], int] = Counter()
        for text in documents:
            found = {(LABEL_CATEGORY[span.label], word) for span in label_document(text, functions)[0]
                     if span.label in LABEL_CATEGORY for word in category_words(span.label, span.text)}
            silver.update(found)
        for (category, word), n in silver.items():
            if n >= SILVER_MIN_DOCUMENTS:
                words[category].add(word)
        for names in gazetteer.names.values():
            for name in names:
                words["company"].update(category_words("COMPANY", name))
        sources["silver"] = {"documents": len(documents), "min_documents_per_word": SILVER_MIN_DOCUMENTS,
                             "held_out_documents": len(held_out_documents(config)),
                             "archive": {s: file_sha256(archive / s) for s in SOURCES}}
    else:
        print(f"note: {archive} not found: the domain categories come from the training gold alone", file=sys.stderr)
    words["official"].update(TITLES)
    return words, sources


def keyed(words: set[str], encoder: CharEncoder) -> tuple[dict[int, tuple[int, ...]], int]:
    """{key: token ids} of the words of 1..MAX_WORD known characters, and how many words were left out
    (longer, or with an unknown character or a space; a span that gave no word, "", is not counted)."""
    unk = encoder.unk_id
    out: dict[int, tuple[int, ...]] = {}
    skipped = 0
    for word in filter(None, words):
        ids = tuple(encoder.char_id(ch) for ch in word)
        if not 1 <= len(word) <= MAX_WORD or unk in ids or any(ch.isspace() for ch in word):
            skipped += 1
            continue
        out[word_key(ids)] = ids
    return out, skipped


def check_collisions(tables: dict[str, dict[int, tuple[int, ...]]]) -> None:
    """One LexiconBuildError when two different token sequences of the lexicon share a key."""
    seen: dict[int, tuple[int, ...]] = {}
    for table in tables.values():
        for key, ids in table.items():
            if seen.setdefault(key, ids) != ids:
                raise LexiconBuildError(f"hash collision: token ids {seen[key]} and {ids} share key {key}; "
                                        "change infer.lexicon.BASES")


def build_lexicon(config_path: Path, jieba: Path, out: Path, tokenizer_dir: Path, min_freq: int) -> dict:
    """Write `out`/lexicon.safetensors (each category's sorted keys, and `chars`: which token ids are
    characters), lexicon.json (provenance, counts, hash) and jieba's notice; returns lexicon.json."""
    from safetensors.torch import save_file
    from transformers import AutoTokenizer

    from infer.model_folder import file_sha256, quiet_transformers
    from train.config import load_config
    from train.lac import tokenizer_tokens, vocab_sha256

    started = time.time()
    dictionary, dict_sha256 = read_jieba(jieba)
    check_writable(out)
    config = load_config(config_path, {"model": {"lexicon": None}})  # the recipe may be the one that will use it
    tokens = tokenizer_tokens(tokenizer_dir)
    with quiet_transformers():
        encoder = CharEncoder(AutoTokenizer.from_pretrained(str(tokenizer_dir)))
    words, sources = domain_words(config)
    words["general"] = general_words(dictionary, min_freq)
    tables, skipped = {}, {}
    for name in CATEGORIES:
        tables[name], skipped[name] = keyed(words[name], encoder)
    check_collisions(tables)
    specials = {encoder.tokenizer.convert_tokens_to_ids(t) for t in encoder.tokenizer.all_special_tokens}
    state = {name: torch.tensor(sorted(table), dtype=torch.long) for name, table in tables.items()}
    state["chars"] = torch.tensor([i not in specials for i in range(len(tokens))])
    out.mkdir(parents=True, exist_ok=True)
    save_file(state, str(out / WEIGHTS_FILE))
    usual_mode(out / WEIGHTS_FILE)
    (out / LICENSE_FILE).write_text(JIEBA_NOTICE + "\n", encoding="utf-8")
    info = {
        "categories": list(CATEGORIES),
        "flags": list(FLAGS),
        "hash": HASH,
        "words": {name: len(tables[name]) for name in CATEGORIES},
        "left_out_too_long_or_unknown_characters": skipped,
        "keys_in_union": int(merged_table({name: state[name] for name in CATEGORIES})[0].numel()),
        "sources": {"jieba": {"file": JIEBA, "sha256": JIEBA_SHA256, "dict_sha256": dict_sha256,
                              "license": "MIT", "min_freq": min_freq, "dictionary_words": len(dictionary)},
                    "recipe": {"file": str(config_path), "sha256": file_sha256(Path(config_path))},
                    **sources},
        "notice": f"general: jieba 0.42.1's dict.txt, MIT License (see {LICENSE_FILE})",
        "vocab_sha256": vocab_sha256(tokens),
        "vocab_size": len(tokens),
        "seconds": round(time.time() - started, 1),
    }
    write_json(out / INFO_FILE, info)
    return info


def attach_lexicon(model, folder: Path, tokens: list[str]):
    """A copy of CharNet `model` with the lexicon of `folder` as features after its other BiLSTM inputs.

    The first BiLSTM layer's input weights get zero columns for the flags, so the returned model tags
    exactly as `model` does until fine-tuning moves them. `tokens` is the model's vocabulary in id
    order: the keys hash token ids of one vocabulary, so another one is refused."""
    from infer.charnet import CharNetForTokenClassification
    from train.lac import vocab_sha256

    tables, chars, info = load_tables(folder)
    if info["vocab_sha256"] != vocab_sha256(tokens):
        raise LexiconError(f"{folder} was built for another tokenizer vocabulary than the model's; rebuild it "
                           "with `python -m train lexicon ... --tokenizer ENCODER_FOLDER`")
    if model.config.lexicon_dim:
        raise LexiconError("the model already has lexicon features (its config has lexicon_dim); drop model.lexicon")
    keys, bits = merged_table(tables)
    dim = len(FLAGS) * len(tables)
    config = model.config.__class__.from_dict({**model.config.to_dict(), "lexicon_dim": dim,
                                               "lexicon_categories": list(tables), "lexicon_size": keys.numel()})
    extended = CharNetForTokenClassification(config)
    state = model.state_dict()
    for direction in ("", "_reverse"):
        weight = state[f"lstm.weight_ih_l0{direction}"]
        state[f"lstm.weight_ih_l0{direction}"] = torch.cat([weight, weight.new_zeros(weight.size(0), dim)], 1)
    state |= {"lexicon.keys": keys, "lexicon.bits": bits, "lexicon.chars": chars}
    extended.load_state_dict(state)
    return extended.to(next(model.parameters()).dtype).train(model.training)


def copy_notice(lexicon_folder: Path, model_folder: Path) -> None:
    """Put the lexicon's provenance (lexicon.json) and jieba's notice next to a tagger whose buffers
    hold the lexicon's keys."""
    import shutil

    shutil.copyfile(lexicon_folder / INFO_FILE, model_folder / INFO_FILE)
    shutil.copyfile(lexicon_folder / LICENSE_FILE, model_folder / LICENSE_FILE)

