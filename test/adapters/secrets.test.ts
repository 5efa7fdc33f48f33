import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secret, secretReuseMs } from '../../functions/adapters/secrets.ts';

/** A stand-in for the Parameters and Secrets extension's local endpoint. */
const requests: { url: string; headers: IncomingHttpHeaders }[] = [];
const server = createServer((request, response) => {
  requests.push({ url: request.url ?? '', headers: request.headers });
  // The second read of a hanging secret never answers.
  if (request.url?.includes('hanging') && requests.filter((r) => r.url.includes('hanging')).length > 1)
    return;
  const blinking = request.url?.includes('blinking') === true;
  if (
    request.url?.includes('missing') ||
    (blinking && requests.filter((r) => r.url.includes('blinking')).length > 1)
  ) {
    response.writeHead(400).end('{"message":"not found"}');
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ ARN: 'arn', Name: 'n', SecretString: 'sk_live_from_secrets_manager' }));
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = String((server.address() as AddressInfo).port);
  process.env.AWS_SESSION_TOKEN = 'session-token';
  process.env.TEST_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:stripe-AbC';
  process.env.MISSING_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:missing';
  process.env.BLINKING_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:blinking';
  process.env.HANGING_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:hanging';
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('secrets', () => {
  it('reads a secret once through the extension, with the session token', async () => {
    const [first, second] = await Promise.all([
      secret('TEST_SECRET', 'TEST_SECRET_ARN'),
      secret('TEST_SECRET', 'TEST_SECRET_ARN'),
    ]);
    expect(first).toBe('sk_live_from_secrets_manager');
    expect(second).toBe(first);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toBe(
      `/secretsmanager/get?secretId=${encodeURIComponent(process.env.TEST_SECRET_ARN ?? '')}`,
    );
    expect(requests[0]?.headers['x-aws-parameters-secrets-token']).toBe('session-token');
  });

  it('fails clearly when the extension cannot give the secret, and tries again next time', async () => {
    await expect(secret('MISSING_SECRET', 'MISSING_SECRET_ARN')).rejects.toThrow(
      'MISSING_SECRET_ARN: the secrets extension answered 400',
    );
    await expect(secret('MISSING_SECRET', 'MISSING_SECRET_ARN')).rejects.toThrow();
    expect(requests.filter((request) => request.url.includes('missing'))).toHaveLength(2);
  });

  it('reads a rotated secret again once it has been reused for secretReuseMs', async () => {
    process.env.ROTATED = 'whsec_before';
    const readAt = Date.now();
    await expect(secret('ROTATED', 'ROTATED_ARN', () => readAt)).resolves.toBe('whsec_before');
    process.env.ROTATED = 'whsec_after';
    await expect(secret('ROTATED', 'ROTATED_ARN', () => readAt + secretReuseMs - 1)).resolves.toBe(
      'whsec_before',
    );
    await expect(secret('ROTATED', 'ROTATED_ARN', () => readAt + secretReuseMs)).resolves.toBe('whsec_after');
  });

  it('keeps the value it had when a refresh fails', async () => {
    const readAt = Date.now();
    await expect(secret('BLINKING', 'BLINKING_SECRET_ARN', () => readAt)).resolves.toBe(
      'sk_live_from_secrets_manager',
    );
    await expect(secret('BLINKING', 'BLINKING_SECRET_ARN', () => readAt + secretReuseMs)).resolves.toBe(
      'sk_live_from_secrets_manager',
    );
    // The extension did answer the refresh, with an error.
    expect(requests.filter((request) => request.url.includes('blinking'))).toHaveLength(2);
  });

  it('keeps the value it had when a refresh hangs, after 2 s', async () => {
    const readAt = Date.now();
    await expect(secret('HANGING', 'HANGING_SECRET_ARN', () => readAt)).resolves.toBe(
      'sk_live_from_secrets_manager',
    );
    await expect(secret('HANGING', 'HANGING_SECRET_ARN', () => readAt + secretReuseMs)).resolves.toBe(
      'sk_live_from_secrets_manager',
    );
    expect(requests.filter((request) => request.url.includes('hanging'))).toHaveLength(2);
  });

  it('uses the plain environment when no ARN is configured (the local stack)', async () => {
    process.env.LOCAL_ONLY = 'whsec_local_value';
    await expect(secret('LOCAL_ONLY', 'LOCAL_ONLY_ARN')).resolves.toBe('whsec_local_value');
  });
});
