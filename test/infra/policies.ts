/** Reads a function's effective IAM permissions out of a synthesized template. */
import { CfnElement, type Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { z } from 'zod';
import { functionLogicalId } from './synth.ts';

const statementSchema = z.object({
  Effect: z.enum(['Allow', 'Deny']),
  Action: z.union([z.string(), z.array(z.string())]),
  Resource: z.unknown(),
});
const policySchema = z.object({
  Properties: z.object({
    PolicyDocument: z.object({ Statement: z.array(statementSchema) }),
    Roles: z.array(z.object({ Ref: z.string() })),
  }),
});
const functionSchema = z.object({
  Properties: z.object({ Role: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) }) }),
});

export interface Permission {
  readonly action: string;
  /** The statement's Resource, as JSON: logical ids appear in it as `Ref`/`Fn::GetAtt` targets. */
  readonly resource: string;
}

/** Every allowed (action, resource) pair of a topology function's role. */
export function permissionsOf(template: Template, functionName: string): Permission[] {
  const fn = functionSchema.parse(template.toJSON().Resources[functionLogicalId(template, functionName)]);
  const [roleLogicalId] = fn.Properties.Role['Fn::GetAtt'];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .map((resource) => policySchema.parse(resource).Properties)
    .filter((policy) => policy.Roles.some((role) => role.Ref === roleLogicalId))
    .flatMap((policy) => policy.PolicyDocument.Statement)
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) => {
      const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      return actions.flatMap((action) =>
        resources.map((resource) => ({ action, resource: JSON.stringify(resource) })),
      );
    });
}

/** Actions a function may perform on resources whose JSON mentions `logicalId`. */
export function actionsOn(permissions: readonly Permission[], logicalId: string): string[] {
  return [
    ...new Set(
      permissions
        .filter((permission) => permission.resource.includes(`"${logicalId}"`))
        .map((permission) => permission.action),
    ),
  ].sort();
}

/** The logical id of an L2 construct's CloudFormation resource. */
export function logicalIdOf(stack: Stack, construct: IConstruct): string {
  const resource = construct.node.defaultChild;
  if (!(resource instanceof CfnElement))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return stack.getLogicalId(resource);
}
