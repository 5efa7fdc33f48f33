/**
 * Secrets: on AWS from Secrets Manager (`<NAME>_ARN`) through AWS's Parameters and Secrets Lambda
 * extension — a caching HTTP endpoint inside the execution environment, added by the CDK stack —
 * so that no bundle carries a Secrets Manager client; locally from the plain environment.
 */
import { secretEnvVars } from '../../lib/runtime-env.ts';
import { optionalEnv, requiredEnv } from './env.ts';

/**
 * How long a read secret is reused. Not for the life of the execution environment: a rotated
 * secret (a rolled Stripe key or webhook secret, a new admin token) must reach warm functions
 * while the old one still works, and Stripe's rolls overlap by at most the expiry chosen for the
 * old one. With the extension's own cache (300 s by default) a new value is in use within ten
 * minutes.
 */
export const secretReuseMs = 5 * 60_000;

const refreshTimeoutMs = 2_000;

const cache = new Map<string, { readonly value: Promise<string>; readonly readAt: number }>();

export function secret(localName: string, arnName: string, now: () => number = Date.now): Promise<string> {
  const cached = cache.get(localName);
  if (cached !== undefined && now() - cached.readAt < secretReuseMs) return cached.value;
  // A failed refresh keeps the value read before (the extension may blink; the secret did not).
  const previous = cached?.value;
  // Only a refresh is cut short: a first read has nothing to fall back on.
  const timeoutMs = previous === undefined ? undefined : refreshTimeoutMs;
  const loading = loadSecret(localName, arnName, timeoutMs).catch((error: unknown) => {
    if (previous === undefined) throw error;
    return previous;
  });
  cache.set(localName, { value: loading, readAt: now() });
  loading.catch(() => {
    if (cache.get(localName)?.value === loading) cache.delete(localName);
  });
  return loading;
}

async function loadSecret(
  localName: string,
  arnName: string,
  timeoutMs: number | undefined,
): Promise<string> {
  const arn = optionalEnv(arnName);
  if (arn === undefined) {
    const value = optionalEnv(localName);
    if (value === undefined) throw new Error(`Missing secret: set ${arnName} (AWS) or ${localName} (local)`);
    return value;
  }
  const port = optionalEnv('PARAMETERS_SECRETS_EXTENSION_HTTP_PORT') ?? '2773';
  const response = await fetch(
    `http://localhost:${port}/secretsmanager/get?secretId=${encodeURIComponent(arn)}`,
    {
      headers: { 'X-Aws-Parameters-Secrets-Token': requiredEnv('AWS_SESSION_TOKEN') },
      // A local endpoint: a refresh that hangs falls back to the value read before.
      ...(timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
    },
  );
  if (!response.ok) throw new Error(`Secret ${arnName}: the secrets extension answered ${response.status}`);
  const { SecretString } = (await response.json()) as { SecretString?: unknown };
  if (typeof SecretString !== 'string' || SecretString === '')
    throw new Error(`Secret ${arnName} has no value`);
  return SecretString;
}

export const adminToken = () => secret('SALESOPS_ADMIN_TOKEN', secretEnvVars.adminToken);
export const stripeSecretKey = () => secret('STRIPE_SECRET_KEY', secretEnvVars.stripeSecretKey);
/** The key of `emailDigest` (the dispute history and the fraud signals are keyed by it). */
export const emailHashKey = () => secret('SALESOPS_EMAIL_HASH_KEY', secretEnvVars.emailHashKey);
