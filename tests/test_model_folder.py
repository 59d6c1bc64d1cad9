"""infer.model_folder: a model whose labels are not its schema's is refused with one error, and
folders it writes get the modes a folder made by hand would have."""
import json
import os
import shutil

import pytest
import torch

from infer.model_folder import (RELATIONS_DIR, SCHEMA_FILE, SETTINGS_FILE, ModelError, new_staging, read_relations,
                                save_relations)
from infer.tagger import Tagger
from infer.schema import load_schema


@pytest.fixture(scope="module")
def folder(tmp_path_factory, root):
    from train.config import DEFAULTS, merge_config
    from train.fit import build_model

    torch.manual_seed(0)
    config = merge_config(DEFAULTS, {"model": {"init": "scratch", "arch": "charnet", "char_dim": 8, "hidden": 16,
                                               "layers": 1, "max_length": 32}})
    model, tokenizer = build_model(config, load_schema())
    out = tmp_path_factory.mktemp("model")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    shutil.copyfile(root / "configs" / "schema.yaml", out / SCHEMA_FILE)
    (out / SETTINGS_FILE).write_text(json.dumps({"max_length": 32, "stride": 8}))
    return out


def test_a_schema_edited_after_training_is_one_clear_error(folder, tmp_path, capsys):
    edited = tmp_path / "edited"
    shutil.copytree(folder, edited)
    schema = (edited / SCHEMA_FILE).read_text(encoding="utf-8")
    (edited / SCHEMA_FILE).write_text(schema.replace("OFFICIAL", "PERSON"), encoding="utf-8")
    with pytest.raises(ModelError, match="B-OFFICIAL.*B-PERSON"):
        Tagger(edited)
    assert Tagger(folder).schema.label_names == ["COMPANY", "METRIC", "CHAIN", "OFFICIAL"]

    from infer.__main__ import predict_main

    (tmp_path / "in.txt").write_text("聊城市委书记李长萍调研信发集团。", encoding="utf-8")
    assert predict_main(["--model", str(edited), "--input", str(tmp_path / "in.txt"),
                         "--output", str(tmp_path / "out.jsonl")]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "retrain" in errors[0] and not (tmp_path / "out.jsonl").exists()


def test_saved_folders_have_the_usual_mode_and_replace_atomically(folder, tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    model = tmp_path / "m"
    shutil.copytree(folder, model)
    save_relations(model, {"combination": "rules"}, None)
    save_relations(model, {"combination": "rules", "again": True}, None)
    assert (model / RELATIONS_DIR).stat().st_mode & 0o777 == 0o777 & ~umask
    assert read_relations(model) == ({"combination": "rules", "again": True}, None)
    assert not [p for p in model.iterdir() if p.name.startswith(".")]  # no staging or old folder left
    assert new_staging(tmp_path / "x").stat().st_mode & 0o777 == 0o777 & ~umask


@pytest.mark.parametrize("damage, fragment", [
    (lambda f: (f / "model.safetensors").write_bytes((f / "model.safetensors").read_bytes()[:1000]), "damaged"),
    (lambda f: (f / "config.json").write_text("{not json", encoding="utf-8"), "cannot be loaded"),
])
def test_a_damaged_model_folder_is_one_clear_error(folder, tmp_path, damage, fragment):
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    damage(broken)
    with pytest.raises(ModelError, match=fragment):
        Tagger(broken)
