/**
 * Secrets: from Secrets Manager on AWS (`<NAME>_ARN`), from the plain environment locally.
 * Read once per cold start and cached.
 *
 * The client is imported statically on purpose: a dynamic `import()` makes esbuild wrap every
 * module it shares with the DynamoDB client in lazy initialisers, which costs more at cold start
 * than this small client does.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { secretEnvVars } from '../../lib/runtime-env.ts';
import { optionalEnv } from './env.ts';

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
  const response = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: arn }));
  if (response.SecretString === undefined || response.SecretString === '') {
    throw new Error(`Secret ${arnName} has no value`);
  }
  return response.SecretString;
}

export const adminToken = () => secret('SALESOPS_ADMIN_TOKEN', secretEnvVars.adminToken);
export const stripeSecretKey = () => secret('STRIPE_SECRET_KEY', secretEnvVars.stripeSecretKey);
