/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy` run this file (see cdk.json). Tests call
 * `buildApp()` to synthesize the same app in-process.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SalesOpsStack, type SalesOpsStackProps } from '../lib/sales-ops-stack.ts';

export interface BuildAppProps {
  /** Extra context, e.g. `{ 'aws:cdk:bundling-stacks': [] }` to skip bundling in tests. */
  readonly context?: Record<string, unknown>;
  /** Passed to the stack, e.g. a fixture topology. */
  readonly stack?: SalesOpsStackProps;
  /** @default a temporary directory (or the CLI's cdk.out) */
  readonly outdir?: string;
  /**
   * Check the templates against the CloudFormation resource schemas while synthesizing. It costs
   * about 10 s of a cold process, so assertion tests that do not look for schema errors turn it off.
   * @default true
   */
  readonly cloudFormationValidation?: boolean;
}

export const stackName = 'SalesOps';

/** The feature flags of cdk.json, so that an in-process synth matches `cdk synth`. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson: unknown = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8'));
  if (typeof cdkJson === 'object' && cdkJson !== null && 'context' in cdkJson) {
    const { context } = cdkJson;
    if (typeof context === 'object' && context !== null) return { ...context };
  }
  return {};
}

/** The Sales Ops app with cdk-nag's AwsSolutions checks: synthesis fails on an unacknowledged error. */
export function buildApp(props: BuildAppProps = {}): { app: App; stack: SalesOpsStack } {
  const app = new App({
    context: { ...cdkJsonContext(), ...props.context },
    ...(props.outdir ? { outdir: props.outdir } : {}),
    builtinCloudFormationValidation: props.cloudFormationValidation ?? true,
  });
  const alarmEmail: unknown = app.node.tryGetContext('alarmEmail');
  const stack = new SalesOpsStack(app, stackName, {
    ...(typeof alarmEmail === 'string' && alarmEmail !== '' ? { alarmEmail } : {}),
    ...props.stack,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

const runAsMain =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
// The CLI sets CDK_OUTDIR, so the app synthesizes itself before the process exits.
if (runAsMain) buildApp();
