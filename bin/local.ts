/**
 * `npm start`: the whole backend on this machine (contract section 10). Prints one line with
 * `ready` once it accepts requests; stops cleanly on SIGINT / SIGTERM.
 */
import { startLocalStack } from './local/stack.ts';

const env = (name: string, fallback: string) => process.env[name] || fallback;

const port = Number(env('PORT', '3000'));
const stripeSimulatorPort = Number(env('STRIPE_SIMULATOR_PORT', '12111'));
const startedAt = Date.now();

const stack = await startLocalStack({
  port,
  stripeSimulatorPort,
  adminToken: env('SALESOPS_ADMIN_TOKEN', 'admin_local'),
  stripeWebhookSecret: env('STRIPE_WEBHOOK_SECRET', 'whsec_local'),
  stripeSecretKey: process.env.STRIPE_SECRET_KEY || undefined,
  schedules: 'interval',
  queueVisibilityTimeoutSeconds: 5,
  log: (line) => console.log(line),
});

const stripe =
  stack.stripe === undefined ? 'real Stripe (STRIPE_SECRET_KEY)' : `Stripe simulator on ${stack.stripe.url}`;
console.log(
  `Sales Ops ready on ${stack.url} (${stripe}) in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
