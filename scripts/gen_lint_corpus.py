#!/usr/bin/env python3
"""Generate tests/lint-corpus/: the varied templates `leastpriv lint` is snapshot-tested on
(cli/tests/lint.rs). Deterministic; run from anywhere after changing the description below:

    python3 scripts/gen_lint_corpus.py

The corpus is described compactly here: every SAM policy template (from the embedded data, with
each parameter given as !Ref, !GetAtt, !Sub, a literal or an Fn::If), risky and harmless IAM
statements in roles, standalone policies and bare policy documents, SAM Globals, event sources
and destinations, intrinsics of every kind, conditions, nested stacks, and malformed inputs.
"""

import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "lint-corpus"
TEMPLATES = json.loads((ROOT / "core" / "data" / "sam-policy-templates.json").read_text())["templates"]

HEADER = 'AWSTemplateFormatVersion: "2010-09-09"\n'
SAM = HEADER + "Transform: AWS::Serverless-2016-10-31\n"
PARAM_FORMS = [
    "!Ref {p}Param",
    "!GetAtt Thing.{p}",
    '!Sub "${{AWS::StackName}}-{p}"',
    "literal-{lp}",
    "!If [IsProd, prod-{lp}, dev-{lp}]",
]

STATEMENTS = [
    ("star", '{"Effect": "Allow", "Action": "*", "Resource": "*"}'),
    ("s3-all", '{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}'),
    ("s3-get-star", '{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}'),
    ("not-action", '{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}'),
    ("not-resource", '{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::b/*"}'),
    ("xray", '{"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"}'),
    ("ddb-star", '{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": "*"}'),
    ("ddb-scoped", '{"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/Orders"}'),
    ("passrole-lambda", '{"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction"], "Resource": "*"}'),
    ("create-policy-version", '{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "arn:aws:iam::123456789012:policy/p"}'),
    ("put-role-policy", '{"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "arn:aws:iam::123456789012:role/r"}'),
    ("assume-any", '{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}'),
    ("update-code", '{"Effect": "Allow", "Action": "lambda:UpdateFunctionCode", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f"}'),
    ("secrets-all", '{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:secretsmanager:*:*:secret:*"}'),
    ("secret-one", '{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"}'),
    ("ssm-path", '{"Effect": "Allow", "Action": "ssm:GetParametersByPath", "Resource": "*"}'),
    ("kms-decrypt", '{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}'),
    ("access-key", '{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"}'),
    ("bucket-policy", '{"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": "arn:aws:s3:::b"}'),
    ("typo", '{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::b/*"}'),
    ("bad-prefix", '{"Effect": "Allow", "Action": "s4:GetObject", "Resource": "*"}'),
    ("object-on-bucket", '{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"}'),
    ("list-on-objects", '{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b/*"}'),
    ("star-only-on-arn", '{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "arn:aws:s3:::b"}'),
    ("deny", '{"Effect": "Deny", "Action": "*", "Resource": "*"}'),
    ("bad-effect", '{"Effect": "Permit", "Action": "s3:GetObject", "Resource": "*"}'),
    ("wildcard-none", '{"Effect": "Allow", "Action": "s3:Frobnicate*", "Resource": "*"}'),
    ("conditioned", '{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceAccount": "123456789012"}}}'),
    ("sub-arn", '{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${QueueName}"}}'),
    ("import", '{"Effect": "Allow", "Action": "sns:Publish", "Resource": {"Fn::ImportValue": "shared-topic"}}'),
    ("join", '{"Effect": "Allow", "Action": "s3:PutObject", "Resource": {"Fn::Join": ["", ["arn:aws:s3:::", {"Ref": "BucketParam"}, "/*"]]}}'),
    ("if-resource", '{"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::If": ["IsProd", "arn:aws:s3:::prod/*", "*"]}}'),
    ("select", '{"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Select": [0, ["arn:aws:s3:::a/*"]]}}'),
    ("ref-action", '{"Effect": "Allow", "Action": {"Ref": "ActionParam"}, "Resource": "*"}'),
]

MANAGED = ["AdministratorAccess", "PowerUserAccess", "AmazonS3FullAccess", "AmazonDynamoDBReadOnlyAccess",
           "service-role/AWSLambdaBasicExecutionRole", "NoSuchManagedPolicy", "AWSLambda_FullAccess"]

EVENTS = {
    "SQS": "Queue: !GetAtt Q.Arn",
    "Kinesis": "Stream: !GetAtt S.Arn\n            StartingPosition: LATEST",
    "DynamoDB": "Stream: !GetAtt T.StreamArn\n            StartingPosition: LATEST",
    "MSK": "Stream: !Ref ClusterArn\n            StartingPosition: LATEST\n            Topics: [t]",
    "MQ": "Broker: !Ref BrokerArn\n            Queues: [q]\n            SourceAccessConfigurations:\n              - Type: BASIC_AUTH\n                URI: !Ref SecretArn",
    "S3": "Bucket: !Ref B\n            Events: s3:ObjectCreated:*",
    "Api": "Path: /\n            Method: get",
}


def lower(name: str) -> str:
    return name[0].lower() + name[1:]


def sam_function(policies: str, extra: str = "", globals_: str = "", conditions: str = "") -> str:
    return (SAM + globals_ + conditions + "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
            "    Properties:\n      Handler: bootstrap\n      Runtime: provided.al2023\n      CodeUri: .\n"
            + policies + extra)


def files() -> dict[str, str]:
    out: dict[str, str] = {}
    cond = "Conditions:\n  IsProd: !Equals [!Ref Env, prod]\n"
    # Every SAM policy template, its parameters in one of the forms (rotating).
    for i, (name, template) in enumerate(sorted(TEMPLATES.items())):
        params = list(template.get("Parameters", {}))
        lines = ""
        for j, p in enumerate(params):
            form = PARAM_FORMS[(i + j) % len(PARAM_FORMS)].format(p=p, lp=lower(p))
            lines += f"            {p}: {form}\n"
        body = f"        - {name}:\n" + (lines if lines else "            {}\n").replace("            {}\n", "")
        if not lines:
            body = f"        - {name}: {{}}\n"
        out[f"sam-template-{name}.yaml"] = sam_function("      Policies:\n" + body, conditions=cond)
    # Risky and harmless statements in a role, a standalone policy and a bare policy document.
    for name, stmt in STATEMENTS:
        doc = json.loads(stmt)
        out[f"role-{name}.json"] = json.dumps({
            "Parameters": {"BucketParam": {"Type": "String"}, "ActionParam": {"Type": "String"},
                           "QueueName": {"Type": "String"}, "Env": {"Type": "String"}},
            "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
            "Resources": {
                "R": {"Type": "AWS::IAM::Role", "Properties": {
                    "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                    "Policies": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [doc]}}]}},
                "F": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["R", "Arn"]}, "Handler": "x", "Runtime": "provided.al2023", "Code": {"ZipFile": "x"}}},
            }}, indent=2) + "\n"
        out[f"policy-{name}.json"] = json.dumps({"Version": "2012-10-17", "Statement": [doc]}, indent=2) + "\n"
        out[f"iam-policy-{name}.yaml"] = (HEADER + "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n"
            "      AssumeRolePolicyDocument: {Statement: []}\n  P:\n    Type: AWS::IAM::Policy\n    Properties:\n"
            "      PolicyName: p\n      Roles: [!Ref R]\n      PolicyDocument:\n        Version: \"2012-10-17\"\n"
            f"        Statement:\n          - {stmt}\n")
    # Managed policies, on roles and on SAM functions.
    for name in MANAGED:
        short = name.split("/")[-1]
        out[f"managed-role-{short}.yaml"] = (HEADER + "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n"
            "      AssumeRolePolicyDocument: {Statement: []}\n      ManagedPolicyArns:\n"
            f"        - !Sub arn:${{AWS::Partition}}:iam::aws:policy/{name}\n")
        out[f"managed-sam-{short}.yaml"] = sam_function(f"      Policies:\n        - {short}\n")
    # Event sources, Globals, tracing, VPC, DLQ, destinations.
    for kind, props in EVENTS.items():
        out[f"event-{kind}.yaml"] = sam_function(
            "      Policies: []\n", f"      Events:\n        E:\n          Type: {kind}\n          Properties:\n            {props}\n")
    g = "Globals:\n  Function:\n    Tracing: Active\n    VpcConfig:\n      SubnetIds: [s]\n      SecurityGroupIds: [g]\n"
    out["globals-tracing-vpc.yaml"] = sam_function("      Policies: AmazonS3ReadOnlyAccess\n", globals_=g)
    out["tracing-disabled.yaml"] = sam_function("      Tracing: Disabled\n", globals_="Globals:\n  Function:\n    Tracing: Active\n")
    out["dlq-destinations.yaml"] = sam_function(
        "      DeadLetterQueue:\n        Type: SNS\n        TargetArn: !Ref Topic\n"
        "      EventInvokeConfig:\n        DestinationConfig:\n          OnSuccess:\n            Type: SQS\n"
        "            Destination: !GetAtt Q.Arn\n          OnFailure:\n            Type: S3\n            Destination: arn:aws:s3:::dest\n")
    # Shared role, escalation across statements and policies, inline size.
    shared = HEADER + "Resources:\n  Shared:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {Statement: []}\n"
    for f in ("A", "B", "C"):
        shared += f"  {f}:\n    Type: AWS::Serverless::Function\n    Properties:\n      Role: !GetAtt Shared.Arn\n"
    out["shared-role.yaml"] = SAM + shared[len(HEADER):]
    out["escalation-across-policies.yaml"] = (HEADER + "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n"
        "      AssumeRolePolicyDocument: {Statement: []}\n      Policies:\n        - PolicyName: a\n          PolicyDocument:\n"
        "            Statement:\n              - {Effect: Allow, Action: iam:PassRole, Resource: arn:aws:iam::123456789012:role/x}\n"
        "  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      Roles: [!Ref R]\n      PolicyDocument:\n"
        "        Statement:\n          - {Effect: Allow, Action: lambda:CreateFunction, Resource: '*'}\n")
    big = ",\n".join(f'{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket-number-{i}/objects/*"}}' for i in range(200))
    out["inline-too-large.json"] = ('{"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": []},'
        f' "Policies": [{{"PolicyName": "p", "PolicyDocument": {{"Statement": [{big}]}}}}]}}}}}}}}\n')
    # Intrinsics around statements, conditions, nested stacks.
    out["if-statement.yaml"] = (HEADER + cond.replace("!Ref Env", "!Ref Env") + "Parameters:\n  Env: {Type: String}\nResources:\n  R:\n    Type: AWS::IAM::Role\n"
        "    Properties:\n      AssumeRolePolicyDocument: {Statement: []}\n      Policies:\n        - PolicyName: p\n          PolicyDocument:\n"
        "            Statement:\n              - !If\n                - IsProd\n                - {Effect: Allow, Action: 's3:*', Resource: '*'}\n"
        "                - !Ref AWS::NoValue\n")
    out["nested-stack.yaml"] = (SAM + "Resources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: child.yaml\n"
        "  App:\n    Type: AWS::Serverless::Application\n    Properties:\n      Location: app.yaml\n")
    out["external-role.yaml"] = sam_function("      Role: !ImportValue shared-role-arn\n")
    out["suppressed.yaml"] = (HEADER + "Metadata:\n  leastpriv:\n    suppress:\n      - rule: resource-star\n        reason: X-Ray needs it\n"
        "      - rule: service-wildcard\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {Statement: []}\n"
        "      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Statement:\n"
        "              - {Effect: Allow, Action: [dynamodb:GetItem], Resource: '*'}\n              - {Effect: Allow, Action: 'sqs:*', Resource: '*'}\n")
    # Malformed inputs: each must give a clear error or finding, never a crash.
    out["malformed-yaml.yaml"] = "Resources:\n  R: [unclosed\n"
    out["malformed-json.json"] = '{"Resources": {"R": }\n'
    out["malformed-no-resources.yaml"] = "Description: nothing here\n"
    out["malformed-statement-string.yaml"] = HEADER + "Resources:\n  P:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyDocument:\n        Statement: not-a-statement\n"
    out["malformed-no-statement.yaml"] = HEADER + "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument: {Version: '2012-10-17'}\n"
    out["malformed-policies-entry.yaml"] = sam_function("      Policies:\n        - {A: 1, B: 2}\n        - NoSuchTemplate: {X: y}\n        - 42\n")
    out["malformed-alias.yaml"] = "Resources:\n  R: &a {Type: AWS::IAM::Role}\n  S: *a\n"
    out["empty.yaml"] = ""
    return out


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    for name, text in sorted(files().items()):
        (OUT / name).write_text(text)
    print(f"wrote {len(files())} files to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
