"""Loads magnet's exports the way trainers do, and parses every BFCL ground-truth string with Python's ast.

Usage: python load_exports.py EXPORT_DIR. Prints one JSON line of counts; exits non-zero on the first failure.
"""
import ast
import json
import sys
from pathlib import Path

from datasets import load_dataset


def rows(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def literal(node):
    return ast.literal_eval(node)


def main(root):
    root = Path(root)
    out = {}
    hf = load_dataset(str(root / "hf"))
    out["hf"] = {split: hf[split].num_rows for split in hf}
    first = hf["train"][0]
    assert first["messages"][0]["role"] == "system", first["messages"][0]
    json.loads(first["tools"])
    dpo = load_dataset(str(root / "hf"), "dpo")
    out["hf_dpo"] = {split: dpo[split].num_rows for split in dpo}

    trl = root / "trl"
    sft = load_dataset("json", data_files={"train": str(trl / "sft-train.jsonl"), "validation": str(trl / "sft-validation.jsonl")})
    out["trl_sft"] = {split: sft[split].num_rows for split in sft}
    pairs = load_dataset("json", data_files={"train": str(trl / "dpo-train.jsonl")})
    assert set(pairs["train"].column_names) >= {"prompt", "chosen", "rejected", "tools"}, pairs["train"].column_names
    out["trl_dpo"] = pairs["train"].num_rows

    share = load_dataset("json", data_files=str(root / "sharegpt" / "train.jsonl"))
    out["sharegpt"] = share["train"].num_rows
    info = json.loads((root / "sharegpt" / "dataset_info.json").read_text())
    assert all(v["formatting"] == "sharegpt" for v in info.values())

    # every ground-truth string is one Python call whose arguments are literals
    answers = rows(root / "bfcl" / "possible_answer" / "BFCL_v3_multi_turn_magnet.json")
    entries = {e["id"]: e for e in rows(root / "bfcl" / "BFCL_v3_multi_turn_magnet.json")}
    calls = 0
    for answer in answers:
        assert len(answer["ground_truth"]) == len(entries[answer["id"]]["question"]), answer["id"]
        for turn in answer["ground_truth"]:
            for source in turn:
                tree = ast.parse(source, mode="eval")
                call = tree.body
                assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name), source
                assert not call.args, source
                for kw in call.keywords:
                    literal(kw.value)
                calls += 1
    out["bfcl_calls"] = calls

    # the literals are the arguments themselves: compare with the pairs the test wrote
    checks = root / "pyrepr-cases.jsonl"
    if checks.exists():
        cases = rows(checks)
        for case in cases:
            call = ast.parse(case["source"], mode="eval").body
            got = {}
            for kw in call.keywords:
                value = literal(kw.value)
                if kw.arg is None:
                    got.update(value)
                else:
                    got[kw.arg] = value
            assert got == case["arguments"], (case["source"], got, case["arguments"])
        out["pyrepr_cases"] = len(cases)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
