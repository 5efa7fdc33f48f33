/**
 * Contract section 6: the dispute history (and the fraud signals) are keyed by an HMAC of the
 * email with the deployment's secret key, never by the email or a plain hash of it.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StoredOrder } from '../../functions/adapters/order-items.ts';
import type { Order } from '../../functions/domain/order.ts';
import {
  type EffectDependencies,
  emailDigest,
  performEffect,
  type TransitionOrders,
} from '../../functions/payments/effects.ts';

const key = 'deployment-key-1';

describe('emailDigest', () => {
  it('is HMAC-SHA256 of the email with the key, in hex', () => {
    expect(emailDigest('ada@example.com', key)).toBe(
      createHmac('sha256', key).update('ada@example.com').digest('hex'),
    );
  });

  it('depends on the key, and is not the plain SHA-256 of the email', () => {
    const digest = emailDigest('ada@example.com', key);
    expect(emailDigest('ada@example.com', 'deployment-key-2')).not.toBe(digest);
    expect(digest).not.toBe(createHash('sha256').update('ada@example.com').digest('hex'));
    expect(emailDigest('bob@example.com', key)).not.toBe(digest);
  });
});

describe('record_prior_dispute', () => {
  const stored = {
    storeId: 'str_1',
    version: 3,
    order: { id: 'ord_1', updatedAt: '2026-11-28T10:03:00.000Z' } as unknown as Order,
  } as StoredOrder;
  const effect = {
    kind: 'record_prior_dispute',
    email: 'ada@example.com',
    disputeId: 'dp_1',
    cardFingerprint: 'fp_1',
  } as const;

  function recordingDeps(emailHashKey: EffectDependencies['emailHashKey']) {
    const recorded: { kind: string; id: string }[] = [];
    const unused = () => Promise.reject(new Error('not expected'));
    const orders = {
      recordPriorDispute: async (_storeId: string, kind: 'EMAIL' | 'CARD', id: string) => {
        recorded.push({ kind, id });
      },
    } as unknown as TransitionOrders;
    const deps: EffectDependencies = {
      orders,
      payments: {
        createPaymentIntent: unused,
        retrievePaymentIntent: unused,
        cancelPaymentIntent: unused,
        capturePaymentIntent: unused,
        refund: unused,
        listRefunds: unused,
        retrieveDispute: unused,
        retrieveCharge: unused,
      },
      emailHashKey,
    };
    return { deps, recorded };
  }

  it('records the keyed hash of the email and the card fingerprint, never the email', async () => {
    const { deps, recorded } = recordingDeps(async () => key);
    await performEffect(deps, stored, effect);
    expect(recorded).toEqual([
      { kind: 'EMAIL', id: emailDigest('ada@example.com', key) },
      { kind: 'CARD', id: 'fp_1' },
    ]);
    expect(JSON.stringify(recorded)).not.toContain('ada@');
  });

  it('fails without the key, so the pending effect stays for a delivery that has it', async () => {
    const { deps, recorded } = recordingDeps(undefined);
    await expect(performEffect(deps, stored, effect)).rejects.toThrow(/email hash key/);
    expect(recorded).toEqual([]);
  });
});
