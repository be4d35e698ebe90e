#!/usr/bin/env python3
"""Compile-cost benchmark for `#[leastpriv::role]` (issue: the attribute is free to use).

Generates library crates of N handlers (3 SDK calls and 3 declared resources each, split over two
files), once annotated and once with the attributes removed, and measures `cargo check` after
touching `src/lib.rs`, annotated and bare interleaved in one run, with the consumer's default
profiles (the generated crates have no profile lines). Prints the medians and the ratios of wall
time and of CPU time (user + system of cargo and the rustc it runs: on a shared machine the
comparable figure, since other load stretches wall time but not the work done).

The attribute keeps its expansions on disk (target/leastpriv-cache), so a touch that changes no
byte re-expands nothing. `--edit` changes a source file instead (a comment in src/second.rs, so
every handler's state is new), which is the cost of a real edit; `--no-cache` turns the cache off.

    python3 scripts/bench_compile.py                 # 50 and 200 handlers, 5 rounds
    python3 scripts/bench_compile.py --handlers 100 --rounds 3
    python3 scripts/bench_compile.py --baseline /tmp/old   # also an older leastpriv checkout
    python3 scripts/bench_compile.py --edit          # a real edit before each check

With `--baseline DIR`, a fourth variant is annotated with the leastpriv at DIR (e.g. an export
of an earlier commit: `git archive COMMIT | tar -x -C DIR`), checked in the same rounds, so a
change is compared with the code before it under the same load.

The crates live in target/bench-compile/ and share one target directory, so the SDK crates are
built once (the first, cold round is not counted).
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "target" / "bench-compile"

PROFILE = ""  # extra Cargo.toml lines for every generated crate (--build-override)
BASELINE = None  # another leastpriv checkout for the `baseline` variant (--baseline)
SDK_FEATURES = 'default-features = false, features = ["rt-tokio", "default-https-client"]'


def workspace_version(name: str) -> str:
    """The version the workspace pins for `name`, so the SDK crates are the examples' ones."""
    for line in (REPO / "Cargo.toml").read_text().splitlines():
        if line.startswith(f"{name} = "):
            start = line.index('version = "') + len('version = "')
            return line[start : line.index('"', start)]
    raise SystemExit(f"{name} is not in the workspace's dependencies")


def handler(i: int, kind: str) -> str:
    attr = (
        f"#[{'noop' if kind == 'noop' else 'leastpriv'}::role(\n"
        f'    s3(read, bucket = "${{Uploads{i}}}", key = "in/*", env = "BUCKET_{i}"),\n'
        f'    dynamodb(write, table = "${{Table{i}}}", env = "TABLE_{i}"),\n'
        f'    sqs(write, queue = "${{Queue{i}.QueueName}}", env = "QUEUE_{i}"),\n'
        ")]\n"
    )
    body = f"""pub async fn handler_{i}(
    s3: &aws_sdk_s3::Client,
    ddb: &aws_sdk_dynamodb::Client,
    sqs: &aws_sdk_sqs::Client,
) -> Result<(), Box<dyn std::error::Error>> {{
    let bucket = std::env::var("BUCKET_{i}")?;
    let table = std::env::var("TABLE_{i}")?;
    let queue = std::env::var("QUEUE_{i}")?;
    let object = s3.get_object().bucket(&bucket).key("in/{i}").send().await?;
    let size = object.content_length().unwrap_or_default();
    ddb.put_item()
        .table_name(&table)
        .item("id", aws_sdk_dynamodb::types::AttributeValue::S("{i}".into()))
        .item("size", aws_sdk_dynamodb::types::AttributeValue::N(size.to_string()))
        .send()
        .await?;
    sqs.send_message().queue_url(&queue).message_body("{i}").send().await?;
    Ok(())
}}
"""
    return (attr if kind != "bare" else "") + body


def noop_macro() -> Path:
    """An attribute that returns the item unchanged: the floor any attribute macro costs."""
    root = WORK / "noop"
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "Cargo.toml").write_text(
        '[package]\nname = "noop"\nversion = "0.1.0"\nedition = "2024"\npublish = false\n\n'
        "[lib]\nproc-macro = true\n\n[workspace]\n"
    )
    (root / "src" / "lib.rs").write_text(
        "//! The floor: an attribute that does nothing.\n"
        "use proc_macro::TokenStream;\n"
        "/// Returns the item unchanged.\n"
        "#[proc_macro_attribute]\n"
        "pub fn role(_attr: TokenStream, item: TokenStream) -> TokenStream {\n    item\n}\n"
    )
    return root


def generate(n: int, kind: str) -> Path:
    root = WORK / f"h{n}-{kind}"
    if root.exists():
        shutil.rmtree(root)
    (root / "src").mkdir(parents=True)
    deps = "\n".join(
        f'{name} = {{ version = "{workspace_version(name)}", {SDK_FEATURES} }}'
        for name in ("aws-sdk-s3", "aws-sdk-dynamodb", "aws-sdk-sqs")
    )
    (root / "Cargo.toml").write_text(
        f"""[package]
name = "bench-h{n}-{kind}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
leastpriv = {{ path = "{BASELINE if kind == 'baseline' else REPO}" }}
noop = {{ path = "{noop_macro()}" }}
{deps}

[workspace]
{PROFILE}"""
    )
    half = n // 2
    (root / "src" / "lib.rs").write_text(
        "//! Generated by scripts/bench_compile.py.\n#![allow(missing_docs)]\npub mod first;\npub mod second;\n"
    )
    for name, rng in (("first", range(half)), ("second", range(half, n))):
        text = "//! Generated handlers.\n\n" + "\n".join(handler(i, kind) for i in rng)
        (root / "src" / f"{name}.rs").write_text(text)
    # Every variant depends on leastpriv and noop (built once, outside the timed touch).
    return root


INSTRUCTIONS = False  # count instructions under callgrind instead of timing (--instructions)
EDIT = None  # the round number written into src/second.rs before each check (--edit)
NO_CACHE = False  # LEASTPRIV_CACHE_DIR=off (--no-cache)


def cargo_check(root: Path, target: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system, of cargo and every rustc it waited for)."""
    if EDIT is None:
        (root / "src" / "lib.rs").touch()
    else:
        # A real edit: a file the handlers live in changes (a comment, so the code is the same).
        second = root / "src" / "second.rs"
        lines = second.read_text().split("\n")
        if lines[-1].startswith("// edit "):
            lines = lines[:-1]
        second.write_text("\n".join(lines + [f"// edit {EDIT}"]))
    env = dict(os.environ, CARGO_TARGET_DIR=str(target))
    if NO_CACHE:
        env["LEASTPRIV_CACHE_DIR"] = "off"
    command = ["cargo", "check", "--quiet", "--manifest-path", str(root / "Cargo.toml")]
    logs = WORK / "callgrind"
    if INSTRUCTIONS:
        shutil.rmtree(logs, ignore_errors=True)
        logs.mkdir(parents=True)
        command = [
            "valgrind",
            "--tool=callgrind",
            "--trace-children=yes",
            f"--callgrind-out-file={logs}/out.%p",
            f"--log-file={logs}/log.%p",
        ] + command
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"cargo check failed in {root}")
    if INSTRUCTIONS:
        # Every process of the check (cargo, rustc and what they ran), in millions.
        total = 0
        for log in logs.glob("log.*"):
            for line in log.read_text().splitlines():
                if "Collected :" in line:
                    total += int(line.rsplit(":", 1)[1].strip())
        return total / 1e6, total / 1e6
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--handlers", type=int, action="append", help="crate sizes (default 50, 200)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--build-override",
        action="store_true",
        help="add the README's optional `[profile.dev.build-override] opt-level = 3` to every crate",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another leastpriv checkout: adds a variant annotated with it, timed in the same rounds",
    )
    parser.add_argument(
        "--edit",
        action="store_true",
        help="change src/second.rs (a comment) before each check instead of touching src/lib.rs",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count the instructions of every process of each check under callgrind (valgrind): "
        "deterministic, for a shared machine; the figures are millions, not seconds",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="LEASTPRIV_CACHE_DIR=off: every check expands every handler again",
    )
    args = parser.parse_args()
    global PROFILE, BASELINE, EDIT, NO_CACHE, INSTRUCTIONS
    NO_CACHE = args.no_cache
    INSTRUCTIONS = args.instructions
    BASELINE = args.baseline.resolve() if args.baseline else None
    kinds = ("annotated", "baseline", "noop", "bare") if BASELINE else ("annotated", "noop", "bare")
    if args.build_override:
        PROFILE = "\n[profile.dev.build-override]\nopt-level = 3\n"
    sizes = args.handlers or [50, 200]
    target = WORK / ("target-build-override" if args.build_override else "target")
    rows = []
    for n in sizes:
        crates = {kind: generate(n, kind) for kind in kinds}
        # Cold round: builds the dependencies (and the macro crates) once; not counted.
        counting, INSTRUCTIONS = INSTRUCTIONS, False
        EDIT = None
        for root in crates.values():
            cargo_check(root, target)
        INSTRUCTIONS = counting
        times = {kind: [] for kind in crates}
        cpus = {kind: [] for kind in crates}
        for round_number in range(args.rounds):
            if args.edit:
                EDIT = round_number
            for kind, root in crates.items():
                wall, cpu = cargo_check(root, target)
                times[kind].append(wall)
                cpus[kind].append(cpu)
        measures = (("instr (M)", times),) if INSTRUCTIONS else (("wall", times), ("cpu ", cpus))
        for label, series in measures:
            a, z, b = (statistics.median(series[k]) for k in ("annotated", "noop", "bare"))
            if label != "wall":
                rows.append((n, a, b))
            unit = "M" if INSTRUCTIONS else "s"
            base = ""
            if BASELINE:
                o = statistics.median(series["baseline"])
                base = f"baseline {o:6.2f} {unit} ({o / b:5.2f}x)  "
            print(
                f"{n:>4} handlers, {label}: annotated {a:6.2f} {unit}  {base}no-op attribute "
                f"{z:6.2f} {unit}  bare {b:6.2f} {unit}  ratio {a / b:5.2f}x (no-op {z / b:4.2f}x)  "
                f"medians of {args.rounds}: "
                + "  ".join(f"{k} {[round(t, 2) for t in v]}" for k, v in series.items()),
                flush=True,
            )
    worst = max(a / b for _, a, b in rows)
    what = "instruction" if INSTRUCTIONS else "CPU-time"
    print(f"worst {what} ratio {worst:.2f}x (target: at most 1.10x)")


if __name__ == "__main__":
    main()
