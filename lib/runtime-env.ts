/**
 * Names of the environment variables through which the CDK stack tells a function where its
 * resources are. Plain data: handlers import these names instead of repeating the strings.
 * Table names come from `tableEnvVar()` in data-model.ts.
 */

export const secretEnvVars = {
  /** Secrets Manager ARN of the Stripe secret key (`sk_live_…`). */
  stripeSecretKey: 'STRIPE_SECRET_ARN',
  /** Secrets Manager ARN of the token that authenticates `/admin/v1/*` calls. */
  adminToken: 'ADMIN_TOKEN_SECRET_ARN',
  /** Secrets Manager ARN of the Stripe webhook signing secret (`whsec_…`). */
  stripeWebhookSecret: 'STRIPE_WEBHOOK_SECRET_ARN',
  /** Secrets Manager ARN of the HMAC key of customer emails (dispute history, fraud signals). */
  emailHashKey: 'EMAIL_HASH_KEY_SECRET_ARN',
} as const;

/** The env var holding a queue's URL: `payment-events` → `PAYMENT_EVENTS_QUEUE_URL`. */
export function queueUrlEnvVar(queueName: string): string {
  return `${queueName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_QUEUE_URL`;
}
