/**
 * The carriers' webhook signature: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * Headers are built here with `node:crypto` straight from the contract's formula, not with the
 * module's own signer, so that a mistake shared by both could not pass.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { shippingSignatureHeader, verifyShippingSignature } from '../../functions/shipping/signature.ts';

const secret = 'whsec_ship_current';
const previous = 'whsec_ship_previous';
const now = 1_795_000_000;
const body = JSON.stringify({
  events: [
    {
      eventId: 'evt_1',
      carrier: 'ups',
      trackingNumber: '1Z999',
      status: 'in_transit',
      occurredAt: '2026-11-28T10:00:00.000Z',
    },
  ],
});

function header(options: { secret?: string; timestamp?: number; body?: string } = {}): string {
  const timestamp = options.timestamp ?? now;
  const v1 = createHmac('sha256', options.secret ?? secret)
    .update(`${timestamp}.${options.body ?? body}`)
    .digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

const verify = (headerValue: string | undefined, options: { body?: string; secrets?: string[] } = {}) =>
  verifyShippingSignature({
    rawBody: Buffer.from(options.body ?? body),
    header: headerValue,
    secrets: options.secrets ?? [secret],
    nowSeconds: now,
  });

describe('verifyShippingSignature', () => {
  it('accepts the contract’s signature of the raw body', () => {
    expect(verify(header())).toBe(true);
  });

  it('agrees with the signer the tests and the bench use', () => {
    expect(shippingSignatureHeader(secret, now, body)).toBe(header());
  });

  it('refuses a tampered body', () => {
    expect(verify(header(), { body: body.replace('in_transit', 'delivered') })).toBe(false);
  });

  it('refuses a body that differs only in whitespace: the raw bytes are signed, not the JSON', () => {
    expect(verify(header(), { body: `${body} ` })).toBe(false);
  });

  it('refuses a signature made with another secret', () => {
    expect(verify(header({ secret: 'whsec_ship_other' }))).toBe(false);
  });

  it('accepts a timestamp up to 300 s old and refuses an older one', () => {
    expect(verify(header({ timestamp: now - 300 }))).toBe(true);
    expect(verify(header({ timestamp: now - 301 }))).toBe(false);
  });

  it('accepts a timestamp up to 300 s ahead and refuses one further in the future', () => {
    expect(verify(header({ timestamp: now + 300 }))).toBe(true);
    expect(verify(header({ timestamp: now + 301 }))).toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['without a timestamp', header().replace(/^t=\d+,/, '')],
    ['without a signature', `t=${now}`],
    ['with a non-numeric timestamp', header().replace(`t=${now}`, 't=soon')],
    ['with a zero-padded timestamp', header().replace(`t=${now}`, `t=0${now}`)],
    ['with two timestamps', `t=${now},${header()}`],
    ['with a short signature', `t=${now},v1=abcdef`],
    ['with a signature that is not hex', header().replace(/v1=.{4}/, 'v1=zzzz')],
    ['in another scheme only', header().replace('v1=', 'v0=')],
    ['of absurd length', `${header()},${'x'.repeat(5000)}`],
  ])('refuses a header %s', (_name, value) => {
    expect(verify(value)).toBe(false);
  });

  it('accepts either of two valid secrets while a store rotates, and neither once both are gone', () => {
    const secrets = [secret, previous];
    expect(verify(header({ secret }), { secrets })).toBe(true);
    expect(verify(header({ secret: previous }), { secrets })).toBe(true);
    expect(verify(header({ secret: previous }), { secrets: [secret] })).toBe(false);
    expect(verify(header({ secret: 'whsec_ship_other' }), { secrets })).toBe(false);
  });

  it('accepts a header carrying several v1 values when one of them matches', () => {
    const wrong = header({ secret: 'whsec_ship_other' }).split(',')[1];
    expect(verify(`${header()},${wrong}`)).toBe(true);
    expect(verify(`t=${now},${wrong},${header().split(',')[1]}`)).toBe(true);
  });

  it('refuses everything for a store without secrets (an unknown store)', () => {
    expect(verify(header(), { secrets: [] })).toBe(false);
  });
});
