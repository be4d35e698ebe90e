import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as cfninc from 'aws-cdk-lib/cloudformation-include';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';

export interface ImageResizeStackProps extends StackProps {
  /** The CloudFormation template `leastpriv synth --format cfn-yaml` wrote for examples/image-resize. */
  readonly roleTemplate: string;
  /** The folder holding the function's `bootstrap` (`target/lambda/image-resize` after `cargo lambda build`). */
  readonly bootstrapDir: string;
}

/**
 * The image-resize application of examples/image-resize/template.yaml, in CDK: an upload bucket,
 * a thumbnail bucket and the Rust function triggered by uploads under incoming/.
 *
 * The function's role and log group are not written here: they come from the template leastpriv
 * generated from the handler's `#[leastpriv::role]` declaration, included as it is. The stack only
 * supplies the template's parameters (the bucket names) and hands the role to the function as an
 * immutable role, so no CDK grant can widen it.
 */
export class ImageResizeStack extends Stack {
  constructor(scope: Construct, id: string, props: ImageResizeStackProps) {
    super(scope, id, props);

    const bucketProps: s3.BucketProps = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
    };
    const uploads = new s3.Bucket(this, 'UploadBucket', bucketProps);
    const thumbnails = new s3.Bucket(this, 'ThumbnailBucket', bucketProps);

    if (!fs.existsSync(props.roleTemplate)) {
      throw new Error(
        `${props.roleTemplate} does not exist. Generate it from the repository root with ` +
          '`cargo run -p leastpriv-cli -- synth examples/image-resize --format cfn-yaml -o examples/image-resize`.',
      );
    }
    // Logical ids are kept: ResizeImageRole and ResizeImageLogGroup are the resources of the
    // generated template. Its parameters name the resources the role's policy refers to (the
    // `${UploadBucketName}` and `${ThumbnailBucket}` of the declaration); CfnInclude substitutes them.
    const generated = new cfninc.CfnInclude(this, 'Leastpriv', {
      templateFile: props.roleTemplate,
      parameters: {
        UploadBucketName: uploads.bucketName,
        ThumbnailBucket: thumbnails.bucketName,
      },
    });
    const cfnRole = generated.getResource('ResizeImageRole') as iam.CfnRole;
    const cfnLogGroup = generated.getResource('ResizeImageLogGroup') as logs.CfnLogGroup;

    // `mutable: false`: grants (`bucket.grantRead(fn)`, what constructs add for themselves) do not
    // attach policies to the generated role; it keeps exactly what leastpriv derived.
    const role = iam.Role.fromRoleArn(this, 'ResizeImageRoleRef', cfnRole.attrArn, { mutable: false });
    const logGroup = logs.LogGroup.fromLogGroupName(this, 'ResizeImageLogGroupRef', cfnLogGroup.ref);

    const hasBinary = fs.existsSync(path.join(props.bootstrapDir, 'bootstrap'));
    const resize = new lambda.Function(this, 'ResizeFunction', {
      description: 'image-resize: thumbnails of uploads (Rust, built by cargo-lambda)',
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
      handler: 'bootstrap',
      code: lambda.Code.fromAsset(props.bootstrapDir),
      memorySize: 512,
      timeout: Duration.seconds(30),
      role,
      logGroup,
      environment: {
        UPLOAD_BUCKET: uploads.bucketName,
        THUMBNAIL_BUCKET: thumbnails.bucketName,
      },
    });
    if (!hasBinary) {
      Annotations.of(resize).addWarningV2(
        'leastpriv-example:placeholder-code',
        `${props.bootstrapDir} holds no bootstrap binary: the function's code is a placeholder. ` +
          'Build it with `cargo lambda build --release --arm64 -p image-resize` and pass ' +
          '`-c bootstrapDir=../../target/lambda/image-resize` before deploying.',
      );
    }

    // S3 invokes the function through its resource policy (a lambda::Permission), not its role.
    uploads.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(resize), {
      prefix: 'incoming/',
    });

    new CfnOutput(this, 'UploadBucketOutput', {
      description: 'Upload originals under incoming/ here',
      value: uploads.bucketName,
    });
    new CfnOutput(this, 'ThumbnailBucketOutput', {
      description: 'Thumbnails appear under thumbs/ here',
      value: thumbnails.bucketName,
    });
    new CfnOutput(this, 'ResizeFunctionArn', { value: resize.functionArn });
  }
}
