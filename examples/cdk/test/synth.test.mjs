// Runs `cdk synth` on the app, offline, and checks the synthesized stack: the function runs with
// the role leastpriv generated, and that role carries exactly the generated policy.
//
//   npm test                                   # the committed ../image-resize/leastpriv.cfn.yaml
//   LEASTPRIV_TEMPLATE=/path/t.yaml npm test   # another template of the same shape
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const appDir = path.resolve(here, '..');
const templateFile = path.resolve(
  appDir,
  process.env.LEASTPRIV_TEMPLATE ?? '../image-resize/leastpriv.cfn.yaml',
);
const STACK = 'LeastprivImageResize';
const ROLE = 'ResizeImageRole';
const LOG_GROUP = 'ResizeImageLogGroup';
// The template's parameters and the construct (path under the stack) the app supplies for each.
const SUPPLIED = { UploadBucketName: 'UploadBucket', ThumbnailBucket: 'ThumbnailBucket' };

// CloudFormation's short-form tags, read into their JSON form.
const INTRINSICS = ['Base64', 'Cidr', 'FindInMap', 'GetAZs', 'If', 'ImportValue', 'Join', 'Select',
  'Split', 'Sub', 'Transform', 'Equals', 'And', 'Or', 'Not', 'ToJsonString', 'Length'];
const cfnTags = [
  ...['Ref', 'Condition'].map((name) => ({ tag: `!${name}`, resolve: (v) => ({ [name]: v }) })),
  { tag: '!GetAtt', resolve: (v) => ({ 'Fn::GetAtt': v }) },
  { tag: '!GetAtt', collection: 'seq', resolve: (v) => ({ 'Fn::GetAtt': v.toJSON() }) },
  ...INTRINSICS.flatMap((name) => [
    { tag: `!${name}`, resolve: (v) => ({ [`Fn::${name}`]: v }) },
    { tag: `!${name}`, collection: 'seq', resolve: (v) => ({ [`Fn::${name}`]: v.toJSON() }) },
    { tag: `!${name}`, collection: 'map', resolve: (v) => ({ [`Fn::${name}`]: v.toJSON() }) },
  ]),
];
const readTemplate = (file) => YAML.parse(readFileSync(file, 'utf8'), { customTags: cfnTags });

// `Fn::GetAtt: "R.Attr"` and `Fn::GetAtt: [R, Attr]` are the same thing; compare one form.
function normalise(value) {
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0][0] === 'Fn::GetAtt' && typeof entries[0][1] === 'string') {
      const [resource, ...attribute] = entries[0][1].split('.');
      return { 'Fn::GetAtt': [resource, attribute.join('.')] };
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, normalise(v)]));
  }
  return value;
}

// What CfnInclude makes of the generated template's values once the parameters are supplied:
// `Ref: P` becomes the value, `Fn::Sub` strings mentioning `${P}` get it as a variable.
function substitute(value, params) {
  if (Array.isArray(value)) return value.map((v) => substitute(v, params));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [[fn, arg]] = entries;
      if (fn === 'Ref' && arg in params) return params[arg];
      if (fn === 'Fn::Sub' && typeof arg === 'string') {
        const used = Object.keys(params).filter((p) => arg.includes(`\${${p}}`));
        if (used.length > 0) {
          return { 'Fn::Sub': [arg, Object.fromEntries(used.map((p) => [p, params[p]]))] };
        }
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, substitute(v, params)]));
  }
  return value;
}

function synth() {
  const out = mkdtempSync(path.join(tmpdir(), 'leastpriv-cdk-'));
  // Offline: no credentials, so the CLI asks no one for the account; no metadata service, no
  // version check, notices or telemetry. The account is a placeholder, the region fixed.
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('AWS_') || name.startsWith('CDK_')) delete env[name];
  }
  Object.assign(env, {
    AWS_CONFIG_FILE: path.join(out, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(out, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: 'eu-west-1',
    CDK_DEFAULT_ACCOUNT: '123456789012',
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  });
  const args = ['--no', 'cdk', 'synth', '--quiet', '--no-version-reporting', '--no-notices',
    '--no-lookups', '--output', path.join(out, 'cdk.out'), '-c', `leastprivTemplate=${templateFile}`];
  const started = process.hrtime.bigint();
  const run = spawnSync('npx', args, { cwd: appDir, env, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  try {
    assert.equal(run.error, undefined, `could not run npx: ${run.error}`);
    assert.equal(run.status, 0, `npx ${args.join(' ')} failed (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
    console.log(`cdk synth took ${seconds.toFixed(1)} s`);
    return JSON.parse(readFileSync(path.join(out, 'cdk.out', `${STACK}.template.json`), 'utf8'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

test('the function runs with the generated role, which keeps exactly its generated policy', () => {
  assert.ok(
    existsSync(templateFile),
    `${templateFile} does not exist. Generate it from the repository root with ` +
      '`cargo run -p leastpriv-cli -- synth examples/image-resize --format cfn-yaml -o examples/image-resize`.',
  );
  const source = readTemplate(templateFile);
  const stack = synth();
  const resources = stack.Resources;
  const byPath = (p) => {
    const ids = Object.keys(resources).filter((id) => resources[id].Metadata?.['aws:cdk:path'] === `${STACK}/${p}`);
    assert.equal(ids.length, 1, `one resource at ${STACK}/${p}, found ${ids}`);
    return ids[0];
  };

  // Every resource of the generated template is in the stack, under its own logical id.
  for (const [id, resource] of Object.entries(source.Resources)) {
    assert.ok(resources[id], `${id} of the generated template is in the stack`);
    assert.equal(resources[id].Type, resource.Type, `type of ${id}`);
  }
  assert.equal(resources[ROLE].Type, 'AWS::IAM::Role');
  assert.equal(resources[LOG_GROUP].Type, 'AWS::Logs::LogGroup');

  // The parameters are supplied from the stack's buckets, not left to the deployer.
  for (const name of Object.keys(SUPPLIED)) {
    assert.ok(name in (source.Parameters ?? {}), `the generated template has the parameter ${name}`);
    assert.ok(!(name in (stack.Parameters ?? {})), `${name} is supplied by the stack, not a parameter of it`);
  }
  const params = Object.fromEntries(
    Object.entries(SUPPLIED).map(([name, construct]) => [name, { Ref: byPath(`${construct}/Resource`) }]),
  );

  // The role is the generated one: same properties, parameters substituted; nothing added.
  const expected = normalise(substitute(source.Resources[ROLE].Properties, params));
  assert.deepEqual(normalise(resources[ROLE].Properties), expected);
  assert.ok(Array.isArray(expected.Policies) || Array.isArray(expected.ManagedPolicyArns), 'the role has a policy');

  // No policy from CDK grants is attached to it: no AWS::IAM::Policy or ManagedPolicy of the stack
  // names it, except the generated template's own (a split role's managed policies).
  for (const [id, resource] of Object.entries(resources)) {
    if (!['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(resource.Type) || id in source.Resources) continue;
    assert.ok(
      !JSON.stringify(resource.Properties).includes(ROLE),
      `${id} (${resource.Type}, ${resource.Metadata?.['aws:cdk:path']}) attaches to the generated role`,
    );
  }

  // The function: its role is the generated role's ARN, its log group the generated group.
  const fnId = byPath('ResizeFunction/Resource');
  const fn = resources[fnId].Properties;
  assert.deepEqual(fn.Role, { 'Fn::GetAtt': [ROLE, 'Arn'] });
  assert.deepEqual(fn.LoggingConfig, { LogGroup: { Ref: LOG_GROUP } });
  assert.equal(fn.Runtime, 'provided.al2023');
  assert.equal(fn.Handler, 'bootstrap');
  assert.deepEqual(fn.Environment.Variables, {
    UPLOAD_BUCKET: params.UploadBucketName,
    THUMBNAIL_BUCKET: params.ThumbnailBucket,
  });
  // CDK attached no managed policy (AWSLambdaBasicExecutionRole) and created no role for it.
  const usersOfRole = Object.keys(resources).filter(
    (id) => resources[id].Type === 'AWS::Lambda::Function' && JSON.stringify(resources[id].Properties.Role).includes(ROLE),
  );
  assert.deepEqual(usersOfRole, [fnId]);
  assert.ok(!JSON.stringify(fn).includes('AWSLambdaBasicExecutionRole'));
});
