/** Synthesizes the app for the infra tests: bundling skipped, cdk-nag on, as `cdk synth` runs it. */
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../bin/app.ts';
import { topologyMetadata } from '../../lib/constructs/metadata.ts';
import type { SalesOpsStack, SalesOpsStackProps } from '../../lib/sales-ops-stack.ts';

/** Skips esbuild: NodejsFunction then stages a placeholder asset, which is all assertions need. */
export const noBundling = { 'aws:cdk:bundling-stacks': [] };

export interface Synthesized {
  readonly app: App;
  readonly stack: SalesOpsStack;
  readonly template: Template;
  /** The cloud assembly directory, holding validation-report.json. */
  readonly assemblyDirectory: string;
}

/** Throws like `cdk synth` when cdk-nag finds an unacknowledged error. */
export function synthesize(
  stack?: SalesOpsStackProps,
  options: { cloudFormationValidation?: boolean } = {},
): Synthesized {
  const built = buildApp({
    context: noBundling,
    ...(stack ? { stack } : {}),
    cloudFormationValidation: options.cloudFormationValidation ?? false,
  });
  const assembly = built.app.synth();
  return { ...built, template: Template.fromStack(built.stack), assemblyDirectory: assembly.directory };
}

/** The logical id of a topology function's AWS::Lambda::Function. */
export function functionLogicalId(template: Template, functionName: string): string {
  const found = Object.keys(
    template.findResources('AWS::Lambda::Function', {
      Metadata: { [topologyMetadata.function]: functionName },
    }),
  );
  const [logicalId] = found;
  if (found.length !== 1 || logicalId === undefined) {
    throw new Error(`Expected one Lambda for '${functionName}', found ${found.length}`);
  }
  return logicalId;
}
