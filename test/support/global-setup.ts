import type { TestProject } from 'vitest/node';
import { freePort } from '../../bin/local/free-port.ts';
import { type LocalStack, startLocalStack } from '../../bin/local/stack.ts';

export const adminToken = 'admin_test';
export const stripeWebhookSecret = 'whsec_test';

declare module 'vitest' {
  export interface ProvidedContext {
    apiUrl: string;
    stripeUrl: string;
    adminToken: string;
    stripeWebhookSecret: string;
    stackEnvironment: Record<string, string>;
  }
}

let stack: LocalStack | undefined;

export async function setup(project: TestProject) {
  const [port, stripeSimulatorPort] = [await freePort(), await freePort()];
  stack = await startLocalStack({
    port,
    stripeSimulatorPort,
    adminToken,
    stripeWebhookSecret,
    schedules: 'manual',
    queueVisibilityTimeoutSeconds: 1,
  });
  if (stack.stripe === undefined) throw new Error('the test stack runs the Stripe simulator');
  project.provide('apiUrl', stack.url);
  project.provide('stripeUrl', stack.stripe.url);
  project.provide('adminToken', adminToken);
  project.provide('stripeWebhookSecret', stripeWebhookSecret);
  project.provide('stackEnvironment', { ...stack.environment });
}

export async function teardown() {
  await stack?.stop();
}
