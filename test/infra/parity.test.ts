/**
 * The local stack and the CDK stack are built from one topology; this proves they agree: the
 * routes, queues and schedules of the synthesized template are exactly those the local stack
 * serves, polls and fires, and the running local server answers every one of those routes.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { describeLocalStack } from '../../bin/local/stack.ts';
import { synthesize } from './synth.ts';
import { type SynthesizedTopology, synthesizedTopology } from './synthesized-topology.ts';

let deployed: SynthesizedTopology;

beforeAll(() => {
  deployed = synthesizedTopology(synthesize().template);
});

const gatewayNotFound = '{"message":"Not Found"}';

describe('local stack ↔ synthesized template', () => {
  it('serves exactly the routes, queues and schedules the template deploys', () => {
    const local = describeLocalStack();
    expect([...local.routes].sort()).toEqual(deployed.routes);
    expect([...local.queues].sort()).toEqual(deployed.queues);
    const schedules = local.schedules
      .map(({ functionName, everyMinutes }) => ({ functionName, everyMinutes }))
      .sort((a, b) => a.functionName.localeCompare(b.functionName) || a.everyMinutes - b.everyMinutes);
    expect(schedules).toEqual(deployed.schedules);
    expect(deployed.routes.length).toBeGreaterThan(10);
  });

  it('answers every deployed route on the running local server, and only those', async () => {
    for (const route of deployed.routes) {
      const [method = '', path = ''] = route.split(' ');
      const response = await fetch(`${inject('apiUrl')}${path.replace(/\{\w+\}/g, 'x')}`, {
        method,
        ...(method === 'GET' ? {} : { body: '{}', headers: { 'content-type': 'application/json' } }),
      });
      expect(await response.text(), route).not.toBe(gatewayNotFound);
    }
    const undeployed = await fetch(`${inject('apiUrl')}/v1/orders/x`, { method: 'DELETE' });
    expect(undeployed.status).toBe(404);
    expect(await undeployed.text()).toBe(gatewayNotFound);
  });
});
