#!/usr/bin/env node
// The CDK app: one stack deploying examples/image-resize with the role leastpriv generated for it.
//
// Context (`cdk synth -c NAME=VALUE`), paths relative to this folder:
//   leastprivTemplate  the template leastpriv wrote (default ../image-resize/leastpriv.cfn.yaml)
//   bootstrapDir       the folder holding the function's `bootstrap` binary, as cargo-lambda builds
//                      it (default lambda/image-resize, a placeholder without a binary)
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { ImageResizeStack } from '../lib/image-resize-stack';

// build/bin/app.js → the folder of cdk.json
const root = path.resolve(__dirname, '..', '..');
const app = new App();
const fromContext = (name: string, fallback: string): string =>
  path.resolve(root, (app.node.tryGetContext(name) as string | undefined) ?? fallback);

new ImageResizeStack(app, 'LeastprivImageResize', {
  description: 'image-resize (leastpriv example): an S3-triggered Rust Lambda function with its generated least-privilege role',
  // The account and region of the CLI's environment; environment-agnostic when there is none.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  roleTemplate: fromContext('leastprivTemplate', '../image-resize/leastpriv.cfn.yaml'),
  bootstrapDir: fromContext('bootstrapDir', 'lambda/image-resize'),
});
