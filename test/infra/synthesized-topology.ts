/**
 * Reads the topology back out of a synthesized template: which routes, queues and schedules the
 * stack really deploys. The parity test compares this with lib/topology.ts.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { z } from 'zod';
import { topologyMetadata } from '../../lib/constructs/metadata.ts';

export interface SynthesizedTopology {
  /** Route keys, e.g. `GET /v1/orders/{orderId}`, sorted. */
  readonly routes: string[];
  /** Logical names of the topology queues (dead-letter queues excluded), sorted. */
  readonly queues: string[];
  /** Sorted by function name, then interval. */
  readonly schedules: { functionName: string; everyMinutes: number }[];
}

const routeResource = z.object({ Properties: z.object({ RouteKey: z.string() }) });
const queueResource = z.object({ Metadata: z.object({ [topologyMetadata.queue]: z.string() }) });
const functionResource = z.object({ Metadata: z.object({ [topologyMetadata.function]: z.string() }) });
const ruleResource = z.object({
  Properties: z.object({
    ScheduleExpression: z.string(),
    Targets: z.array(z.object({ Arn: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) }) })),
  }),
});

/** `rate(1 minute)`, `rate(5 minutes)`, `rate(2 hours)` … in minutes. */
function rateInMinutes(expression: string): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!match?.[1] || !match[2]) throw new Error(`Not a rate expression: ${expression}`);
  const unitMinutes = match[2].startsWith('minute') ? 1 : match[2].startsWith('hour') ? 60 : 1440;
  return Number(match[1]) * unitMinutes;
}

export function synthesizedTopology(template: Template): SynthesizedTopology {
  const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
    (resource) => routeResource.parse(resource).Properties.RouteKey,
  );

  const queues = Object.values(template.findResources('AWS::SQS::Queue')).flatMap((resource) => {
    const parsed = queueResource.safeParse(resource);
    return parsed.success ? [parsed.data.Metadata[topologyMetadata.queue]] : [];
  });

  const functionNamesByLogicalId = new Map(
    Object.entries(template.findResources('AWS::Lambda::Function')).flatMap(([logicalId, resource]) => {
      const parsed = functionResource.safeParse(resource);
      return parsed.success ? [[logicalId, parsed.data.Metadata[topologyMetadata.function]] as const] : [];
    }),
  );
  const schedules = Object.values(template.findResources('AWS::Events::Rule')).flatMap((resource) => {
    const rule = ruleResource.parse(resource).Properties;
    return rule.Targets.map((target) => {
      const [logicalId] = target.Arn['Fn::GetAtt'];
      const functionName = functionNamesByLogicalId.get(logicalId);
      if (functionName === undefined)
        throw new Error(`Schedule target ${logicalId} is not a topology function`);
      return { functionName, everyMinutes: rateInMinutes(rule.ScheduleExpression) };
    });
  });

  return {
    routes: routes.sort(),
    queues: queues.sort(),
    schedules: schedules.sort(
      (a, b) => a.functionName.localeCompare(b.functionName) || a.everyMinutes - b.everyMinutes,
    ),
  };
}
