#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/ from the repository's own test data.

Run from the repository root: python3 fuzz/make_seeds.py
Each seed is named after the file it came from, so its provenance stays visible.
"""
import glob
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def out(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def load(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return json.load(f)


def compact(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def main():
    # Portable Text: every renderer case input, plus the example posts (whole documents).
    for path in sorted(glob.glob(os.path.join(ROOT, "crates/portable-text/tests/fixtures/cases/*.json"))):
        case = load(os.path.relpath(path, ROOT))
        out("portable_text_render", "case-" + os.path.basename(path), compact(case["input"]))
    for path in sorted(glob.glob(os.path.join(ROOT, "examples/posts/*.json"))):
        out("portable_text_render", "post-" + os.path.basename(path), compact(load(os.path.relpath(path, ROOT))))

    # ASL: conformance definitions, NUL, the case's input. Distinct definitions only, small
    # ones first, at most 150 (the full set is several MB).
    seen = set()
    seeds = []
    for path in sorted(glob.glob(os.path.join(ROOT, "crates/asl/tests/conformance/cases/*.json"))):
        case = load(os.path.relpath(path, ROOT))
        definition = case["definition"]
        if not isinstance(definition, str):
            definition = compact(definition)
        if definition in seen:
            continue
        seen.add(definition)
        data = definition.encode() + b"\0" + compact(case.get("input", {})).encode()
        seeds.append((len(data), os.path.basename(path), data))
    for _, name, data in sorted(seeds)[:150]:
        out("asl_execute", name, data)
    out("asl_execute", "crosspost.asl.json", open(os.path.join(ROOT, "asl/crosspost.asl.json"), "rb").read() + b"\0{}")

    # Webhook signature: header line, then the body (the toolkit's vectors).
    vectors = load("crates/initiator/tests/fixtures/sanity-webhook-vectors.json")
    for v in vectors["vectors"]:
        out("webhook_signature", "vector-" + v["name"].replace(" ", "-"), v["header"] + "\n" + v["payload"])
    for i, v in enumerate(vectors["decode_vectors"]):
        out("webhook_signature", f"decode-{i}", v["header"] + "\n{}")

    # Webhook delivery: header lines, empty line, body.
    def delivery(headers, body):
        lines = "".join(f"{k}: {v}\n" for k, v in headers.items())
        return lines + "\n" + (body if isinstance(body, str) else compact(body))

    hook = load("examples/webhook.json")
    out("webhook_prepare", "examples-webhook", delivery(hook["headers"], hook["body"]))
    for path in sorted(glob.glob(os.path.join(ROOT, "examples/posts/*.json"))):
        post = load(os.path.relpath(path, ROOT))
        out("webhook_prepare", "post-" + os.path.basename(path), delivery(hook["headers"], post))
    event = load("crates/initiator/tests/fixtures/apigw_v2_webhook.json")
    out("webhook_prepare", "apigw-v2-webhook", delivery(event["headers"], event["body"]))
    deleted = dict(hook["headers"], **{"sanity-operation": "delete"})
    out("webhook_prepare", "delete-projection", delivery(deleted, {"_id": hook["body"]["_id"]}))


if __name__ == "__main__":
    main()
