import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../bin/local/free-port.ts';

describe('freePort', () => {
  it('returns a port that a server can then listen on', async () => {
    const port = await freePort();
    const server = createServer();
    server.listen({ port, host: '127.0.0.1' });
    await once(server, 'listening');
    const address = server.address();
    server.close();

    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65_536);
    expect(address).toMatchObject({ port });
  });
});
