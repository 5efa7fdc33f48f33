/**
 * The receiver's `node:crypto` verification against the Stripe SDK as the reference: headers are
 * made by `generateTestHeaderString`, and every variant the verifier accepts, `constructEvent`
 * accepts too. A mutation corpus of well over 1 000 bad variants is accepted by neither.
 */
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { verifyStripeSignature } from '../../functions/payments/signature.ts';

const secret = 'whsec_test_secret_for_mutations';
const now = 1_900_000_000;
const payload = JSON.stringify(
  {
    id: 'evt_1',
    object: 'event',
    type: 'payment_intent.amount_capturable_updated',
    created: now,
    livemode: false,
    data: { object: { id: 'pi_1', amount: 1500, currency: 'usd', metadata: { orderId: 'ord_1' } } },
  },
  null,
  2,
);
const sdk = new Stripe('sk_test_reference');

const header = (options: { payload?: string; secret?: string; timestamp?: number; scheme?: string } = {}) =>
  Stripe.webhooks.generateTestHeaderString({
    payload: options.payload ?? payload,
    secret: options.secret ?? secret,
    timestamp: options.timestamp ?? now,
    ...(options.scheme === undefined ? {} : { scheme: options.scheme }),
  });
const goodHeader = header();
const goodSignature = goodHeader.split(',v1=')[1] ?? '';

interface Variant {
  readonly name: string;
  readonly body: Buffer;
  readonly header: string | undefined;
  readonly secret?: string;
}

const ours = (variant: Variant) =>
  verifyStripeSignature({
    rawBody: variant.body,
    header: variant.header,
    secret: variant.secret ?? secret,
    nowSeconds: now,
  });

const reference = (variant: Variant) => {
  if (variant.header === undefined) return false;
  try {
    sdk.webhooks.constructEvent(
      variant.body,
      variant.header,
      variant.secret ?? secret,
      300,
      undefined,
      now * 1000,
    );
    return true;
  } catch {
    return false;
  }
};

/** A deterministic generator, so a failure names a variant that can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  return (below: number) => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state % below;
  };
}

function badVariants(): Variant[] {
  const next = random(42);
  const body = Buffer.from(payload);
  const variants: Variant[] = [];
  // Body: one bit flipped anywhere, a byte dropped, a byte added, trailing whitespace.
  for (let index = 0; index < 400; index++) {
    const flipped = Buffer.from(body);
    const at = next(flipped.length);
    flipped[at] = (flipped[at] ?? 0) ^ (1 << next(8));
    variants.push({ name: `bit flip at ${at}`, body: flipped, header: goodHeader });
  }
  for (let index = 0; index < 100; index++) {
    const at = next(body.length);
    variants.push({
      name: `byte ${at} dropped`,
      body: Buffer.concat([body.subarray(0, at), body.subarray(at + 1)]),
      header: goodHeader,
    });
    variants.push({
      name: `byte inserted at ${at}`,
      body: Buffer.concat([body.subarray(0, at), Buffer.from([next(256)]), body.subarray(at)]),
      header: goodHeader,
    });
  }
  for (const suffix of ['\n', ' ', '\r\n', '\u0000']) {
    variants.push({
      name: `suffix ${JSON.stringify(suffix)}`,
      body: Buffer.concat([body, Buffer.from(suffix)]),
      header: goodHeader,
    });
  }
  // Header: each signature nibble changed, signatures cut or lengthened, fields reordered away.
  const hex = '0123456789abcdef';
  for (let at = 0; at < goodSignature.length; at++) {
    for (let step = 1; step <= 3; step++) {
      const original = hex.indexOf(goodSignature[at] ?? '0');
      const changed = `${goodSignature.slice(0, at)}${hex[(original + step * 5) % 16]}${goodSignature.slice(at + 1)}`;
      variants.push({ name: `nibble ${at}+${step}`, body, header: `t=${now},v1=${changed}` });
    }
  }
  for (let length = 0; length < goodSignature.length; length += 4) {
    variants.push({
      name: `signature cut to ${length}`,
      body,
      header: `t=${now},v1=${goodSignature.slice(0, length)}`,
    });
  }
  const headerEdits: [string, string | undefined][] = [
    ['missing header', undefined],
    ['empty header', ''],
    ['no timestamp', `v1=${goodSignature}`],
    ['no v1', `t=${now}`],
    ['v0 only', `t=${now},v0=${goodSignature}`],
    ['upper-case scheme', `t=${now},V1=${goodSignature}`],
    ['padded scheme', `t=${now}, v1=${goodSignature}`],
    ['signature with extra byte', `t=${now},v1=${goodSignature}00`],
    ['timestamp off by one', `t=${now + 1},v1=${goodSignature}`],
    ['timestamp off by minus one', `t=${now - 1},v1=${goodSignature}`],
    ['leading-zero timestamp', `t=0${now},v1=${goodSignature}`],
    ['non-numeric timestamp', `t=abc,v1=${goodSignature}`],
    ['upper-case hex', `t=${now},v1=${goodSignature.toUpperCase()}`],
    ['two timestamps', `t=${now},t=${now + 10},v1=${goodSignature}`],
    ['semicolons', `t=${now};v1=${goodSignature}`],
    ['base64 signature', `t=${now},v1=${Buffer.from(goodSignature, 'hex').toString('base64')}`],
    ['bad v1 only, twice', `t=${now},v1=${'0'.repeat(64)},v1=${'f'.repeat(64)}`],
  ];
  for (const [name, edited] of headerEdits) variants.push({ name, body, header: edited });
  // Wrong secrets: random ones, near misses, and the right one with a prefix or suffix.
  for (let index = 0; index < 100; index++) {
    variants.push({
      name: `random secret ${index}`,
      body,
      header: goodHeader,
      secret: `whsec_${next(1e9)}_${next(1e9)}`,
    });
  }
  for (const wrong of [`${secret}x`, secret.slice(0, -1), secret.toUpperCase(), ` ${secret}`, '']) {
    variants.push({
      name: `near-miss secret ${JSON.stringify(wrong)}`,
      body,
      header: goodHeader,
      secret: wrong,
    });
  }
  for (let index = 0; index < 20; index++) {
    const other = `whsec_other_${index}`;
    variants.push({ name: `signed with another secret ${index}`, body, header: header({ secret: other }) });
  }
  // Timestamps outside the tolerance, correctly signed for that timestamp.
  for (let index = 0; index < 150; index++) {
    const offset = 301 + next(10 * 24 * 3600);
    variants.push({ name: `stale by ${offset}s`, body, header: header({ timestamp: now - offset }) });
    variants.push({ name: `future by ${offset}s`, body, header: header({ timestamp: now + offset }) });
  }
  // Signed for another body, or with the scheme the SDK does not check.
  for (let index = 0; index < 50; index++) {
    variants.push({
      name: `signature of another body ${index}`,
      body,
      header: header({ payload: payload.replace('1500', String(1501 + index)) }),
    });
  }
  variants.push({ name: 'v0 scheme', body, header: header({ scheme: 'v0' }) });
  return variants;
}

describe('verifyStripeSignature', () => {
  it('accepts what Stripe signs, at any time within the tolerance, and one good v1 among several', () => {
    const body = Buffer.from(payload);
    const good: Variant[] = [
      { name: 'as generated', body, header: goodHeader },
      { name: 'exactly 300 s old', body, header: header({ timestamp: now - 300 }) },
      { name: '299 s old', body, header: header({ timestamp: now - 299 }) },
      { name: 'good v1 after a bad one', body, header: `t=${now},v1=${'0'.repeat(64)},v1=${goodSignature}` },
      { name: 'good v1 before a bad one', body, header: `t=${now},v1=${goodSignature},v1=${'a'.repeat(64)}` },
      { name: 'with a v0 as well', body, header: `t=${now},v1=${goodSignature},v0=${'1'.repeat(64)}` },
    ];
    for (const variant of good) {
      expect({ name: variant.name, reference: reference(variant) }).toEqual({
        name: variant.name,
        reference: true,
      });
      expect({ name: variant.name, ours: ours(variant) }).toEqual({ name: variant.name, ours: true });
    }
  });

  it('accepts none of more than 1 000 mutations of body, header, secret and timestamp', () => {
    const variants = badVariants();
    expect(variants.length).toBeGreaterThanOrEqual(1_000);
    const accepted = variants.filter(ours).map((variant) => variant.name);
    expect(accepted).toEqual([]);
    // The reference agrees, except where the verifier is stricter: the SDK lets future timestamps
    // and a zero-padded `t` through.
    const disagreements = variants
      .filter((variant) => !variant.name.startsWith('future by') && variant.name !== 'leading-zero timestamp')
      .filter(reference)
      .map((variant) => variant.name);
    expect(disagreements).toEqual([]);
  });

  it('never accepts what the reference rejects, on random headers around a good one', () => {
    const next = random(7);
    const body = Buffer.from(payload);
    const pieces = [
      `t=${now}`,
      `t=${now - 400}`,
      `v1=${goodSignature}`,
      `v1=${'b'.repeat(64)}`,
      'v0=00',
      'x=1',
      '',
    ];
    for (let index = 0; index < 500; index++) {
      const parts = Array.from({ length: 1 + next(4) }, () => pieces[next(pieces.length)] ?? '');
      const variant = { name: parts.join(','), body, header: parts.join(',') };
      if (ours(variant))
        expect({ header: variant.header, reference: reference(variant) }).toEqual({
          header: variant.header,
          reference: true,
        });
    }
  });
});
