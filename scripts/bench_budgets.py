#!/usr/bin/env python3
"""Memory and time budgets of the leastpriv CLI on the largest inputs it accepts (issue 14).

Generates, in a temporary directory:
- a SAM template of about 15.5 MiB (under the 16 MiB cap on templates): image-resize's
  template with tens of thousands of resources added (DynamoDB tables, S3 buckets, IAM roles
  with an inline policy, SAM functions with a policy template and an SQS event source);
- a crate whose handler's `#[leastpriv::role]` has 10,000 entries.
Then runs the CLI on them, one process per command, and reads each child's peak resident set
size and CPU time (user + system) from `os.wait4` (the kernel's rusage of that child alone; CPU
time rather than wall-clock time, which on a shared machine measures the neighbours). Exits 1 when
any command goes over its budget or exits with an unexpected code, printing the figures either
way.

Usage: python3 scripts/bench_budgets.py [--bin PATH] [--keep]
Without --bin it builds the debug CLI (`cargo build -p leastpriv-cli --locked`), the binary the
test suite runs, and uses it from $CARGO_TARGET_DIR (or ./target).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Budgets: peak RSS in MiB and CPU seconds, per command, for the debug CLI. Measured figures
# (BENCHMARKS.md, "Memory and time budgets") are at most two thirds of the memory and a quarter
# of the time; lint took over 300 s of CPU on this template before its reports were windowed.
MIB = 1024 * 1024
TEMPLATE_BYTES = 15 * MIB
BUDGETS = {
    "lint": (1024, 60.0),
    "synth-sam": (1024, 30.0),
    "check-10k": (256, 30.0),
    "check-10k-short": (256, 15.0),
}


def resources(count: int) -> str:
    """`count` resources in groups of four kinds, as YAML lines indented under `Resources:`."""
    out = []
    for i in range(count):
        kind = i % 4
        if kind == 0:
            out.append(f"""  Table{i}:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - AttributeName: pk
          AttributeType: S
      KeySchema:
        - AttributeName: pk
          KeyType: HASH
""")
        elif kind == 1:
            out.append(f"""  Bucket{i}:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "bench-{i}-${{AWS::AccountId}}"
      Tags:
        - Key: team
          Value: media
""")
        elif kind == 2:
            out.append(f"""  Role{i}:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: lambda.amazonaws.com
            Action: sts:AssumeRole
      Policies:
        - PolicyName: access
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action:
                  - dynamodb:GetItem
                  - dynamodb:PutItem
                Resource: !GetAtt Table{i - 2}.Arn
""")
        else:
            out.append(f"""  Function{i}:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/f{i}
      Handler: bootstrap
      Runtime: provided.al2023
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Table{i - 3}
      Events:
        Jobs:
          Type: SQS
          Properties:
            Queue: !Sub "arn:aws:sqs:${{AWS::Region}}:${{AWS::AccountId}}:jobs-{i}"
""")
    return "".join(out)


def big_template(path: Path) -> int:
    """Writes image-resize's template padded to about TEMPLATE_BYTES; returns its size."""
    base = (ROOT / "examples/image-resize/template.yaml").read_text()
    head, marker, tail = base.partition("\nResources:\n")
    if not marker:
        sys.exit("examples/image-resize/template.yaml has no Resources section")
    sample = resources(4)
    count = 4 * ((TEMPLATE_BYTES - len(base)) // len(sample))
    text = head + marker + resources(count) + tail
    path.write_text(text)
    return len(text.encode())


def wide_crate(dir: Path, entries: int) -> None:
    """A one-handler crate whose attribute has `entries` entries (the analysis reads sources
    only; nothing is built)."""
    (dir / "src").mkdir(parents=True)
    (dir / "Cargo.toml").write_text(
        '[package]\nname = "wide"\nversion = "0.1.0"\nedition = "2021"\n\n'
        '[dependencies]\nleastpriv = "0.1"\naws-sdk-s3 = "1"\n'
    )
    declared = ",\n".join(f's3(bucket = "b{i}", read)' for i in range(entries))
    (dir / "src/main.rs").write_text(
        f"#[leastpriv::role({declared})]\n"
        "async fn handler(s3: &aws_sdk_s3::Client) -> Result<(), Box<dyn std::error::Error>> {\n"
        '    s3.get_object().bucket("b0").key("k").send().await?;\n    Ok(())\n}\n'
        "fn main() {}\n"
    )


def measure(args: list, cwd: Path) -> tuple:
    """Runs one command; returns (exit code, peak RSS in MiB, CPU seconds, wall seconds, stderr's
    last line)."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as err:
        child = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        err.seek(0)
        lines = err.read().decode(errors="replace").strip().splitlines()
    # ru_maxrss is in KiB on Linux.
    cpu = usage.ru_utime + usage.ru_stime
    return child.returncode, usage.ru_maxrss / 1024, cpu, wall, lines[-1] if lines else ""


def cli_binary(given: str | None) -> Path:
    if given:
        return Path(given)
    subprocess.run(["cargo", "build", "-p", "leastpriv-cli", "--locked"], cwd=ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "debug" / "leastpriv"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", help="the leastpriv binary (default: build the debug one)")
    parser.add_argument("--keep", action="store_true", help="keep the generated inputs")
    args = parser.parse_args()
    binary = cli_binary(args.bin)
    work = Path(tempfile.mkdtemp(prefix="leastpriv-budgets-"))
    try:
        crate = ROOT / "examples/image-resize"
        template = work / "template.yaml"
        size = big_template(template)
        wide = work / "wide"
        wide_crate(wide, 10_000)
        runs = [
            # Findings are expected from the generated roles (exit 1); 2 would be an input error.
            ("lint", [binary, "lint", template], {0, 1}),
            ("synth-sam", [binary, "synth", crate, "--format", "sam", "--template", template,
                           "--map", "ResizeFunction=image-resize", "--allow-unmatched",
                           "-o", work / "merged.yaml"],
             {0}),
            # 9,999 entries no call uses: one finding each (exit 1), rendered in full or short.
            ("check-10k", [binary, "check", wide], {1}),
            ("check-10k-short", [binary, "check", wide, "--short"], {1}),
        ]
        print(f"template: {size:,} bytes; attribute: 10,000 entries; binary: {binary}")
        print(f"{'command':<16} {'exit':>4} {'peak RSS':>10} {'budget':>8} "
              f"{'CPU':>8} {'budget':>7} {'wall':>8}")
        failed = []
        for name, command, codes in runs:
            code, rss, seconds, wall, last = measure([str(a) for a in command], work)
            max_rss, max_seconds = BUDGETS[name]
            print(f"{name:<16} {code:>4} {rss:>7.0f} MiB {max_rss:>4} MiB "
                  f"{seconds:>6.2f} s {max_seconds:>5.0f} s {wall:>6.2f} s")
            if code not in codes:
                failed.append(f"{name}: exit {code}, expected {sorted(codes)}: {last}")
            if rss > max_rss:
                failed.append(f"{name}: peak RSS {rss:.0f} MiB over the {max_rss} MiB budget")
            if seconds > max_seconds:
                failed.append(f"{name}: {seconds:.1f} CPU s over the {max_seconds:.0f} s budget")
        for problem in failed:
            print(f"FAILED {problem}", file=sys.stderr)
        return 1 if failed else 0
    finally:
        if args.keep:
            print(f"inputs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
