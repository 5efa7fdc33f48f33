/** The lazily made Stripe client follows the secret key: a rolled key gets a client of its own. */
import { describe, expect, it } from 'vitest';
import { lazyStripeClient } from '../../functions/adapters/stripe-gateway.ts';

describe('the lazy Stripe client', () => {
  it('reuses one client while the key stays, and makes a new one when the key is rolled', async () => {
    let key = 'sk_test_before_roll';
    let keyReads = 0;
    const client = lazyStripeClient(async () => {
      keyReads++;
      return key;
    });
    const [first, concurrent] = await Promise.all([client(), client()]);
    const again = await client();
    key = 'sk_test_after_roll';
    const rolled = await client();
    const rolledAgain = await client();

    expect(concurrent).toBe(first);
    expect(again).toBe(first);
    expect(rolled).not.toBe(first);
    expect(rolledAgain).toBe(rolled);
    expect(keyReads).toBe(5);
  });
});
