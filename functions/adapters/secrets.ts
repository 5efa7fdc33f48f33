/**
 * Secrets: on AWS from Secrets Manager (`<NAME>_ARN`) through AWS's Parameters and Secrets Lambda
 * extension — a caching HTTP endpoint inside the execution environment, added by the CDK stack —
 * so that no bundle carries a Secrets Manager client; locally from the plain environment.
 * Read once per execution environment and cached.
 */
import { secretEnvVars } from '../../lib/runtime-env.ts';
import { optionalEnv, requiredEnv } from './env.ts';

const cache = new Map<string, Promise<string>>();

export function secret(localName: string, arnName: string): Promise<string> {
  const cached = cache.get(localName);
  if (cached !== undefined) return cached;
  const loading = loadSecret(localName, arnName);
  cache.set(localName, loading);
  loading.catch(() => cache.delete(localName));
  return loading;
}

async function loadSecret(localName: string, arnName: string): Promise<string> {
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
