import { describe, expect, it } from 'vitest';
import { StripeApiError } from '../../bin/local/stripe-simulator/errors.ts';
import { canonicalJson, Params, parseForm } from '../../bin/local/stripe-simulator/form.ts';

describe('parseForm (Stripe bracket notation)', () => {
  it('nests objects and arrays written with brackets, indexed or appended', () => {
    const body =
      'amount=1000&metadata[orderId]=ord_1&metadata[note]=a%20b%26c%3Dd+e' +
      '&expand[]=latest_charge&expand[]=customer' +
      '&items[0][price]=p1&items[0][quantity]=2&items[1][price]=p2' +
      '&payment_method_types[0]=card';
    expect(parseForm(body)).toEqual({
      amount: '1000',
      metadata: { orderId: 'ord_1', note: 'a b&c=d e' },
      expand: ['latest_charge', 'customer'],
      items: [{ price: 'p1', quantity: '2' }, { price: 'p2' }],
      payment_method_types: ['card'],
    });
  });

  it('accepts percent-encoded brackets and keeps an empty value (Stripe unsets with it)', () => {
    expect(parseForm('metadata%5Bkey%5D=v&description=')).toEqual({
      metadata: { key: 'v' },
      description: '',
    });
  });

  it('orders indexed arrays by index, not by arrival', () => {
    expect(parseForm('expand[1]=b&expand[0]=a')).toEqual({ expand: ['a', 'b'] });
  });

  it('survives malformed input', () => {
    expect(parseForm('')).toEqual({});
    expect(parseForm('a=%E0%A4%A&b')).toEqual({ a: '%E0%A4%A', b: '' });
  });
});

describe('canonicalJson', () => {
  it('is the same for the same parameters in any order', () => {
    expect(canonicalJson(parseForm('b=2&a=1&m[y]=1&m[x]=2'))).toBe(
      canonicalJson(parseForm('m[x]=2&a=1&m[y]=1&b=2')),
    );
    expect(canonicalJson(parseForm('a=1'))).not.toBe(canonicalJson(parseForm('a=2')));
  });
});

describe('Params', () => {
  const errorOf = (read: () => unknown): StripeApiError => {
    try {
      read();
    } catch (error) {
      if (error instanceof StripeApiError) return error;
      throw error;
    }
    throw new Error('expected a parameter error');
  };

  it("reads typed values and answers Stripe's parameter errors", () => {
    const params = new Params(parseForm('amount=12&confirm=true&bad=1.5&mode=x&metadata[k]='));
    expect(params.integer('amount')).toBe(12);
    expect(params.boolean('confirm')).toBe(true);
    expect(params.metadata()).toEqual({ k: '' });
    expect(errorOf(() => params.integer('bad')).error).toMatchObject({
      code: 'parameter_invalid_integer',
      param: 'bad',
    });
    expect(errorOf(() => params.oneOf('mode', ['a', 'b'])).error.param).toBe('mode');
    expect(errorOf(() => params.requiredString('currency')).error).toMatchObject({
      code: 'parameter_missing',
      param: 'currency',
    });
  });

  it('rejects parameters nobody read, naming nested ones with brackets', () => {
    const params = new Params(
      parseForm('amount=1&automatic_payment_methods[enabled]=true&automatic_payment_methods[x]=1'),
    );
    params.integer('amount');
    const nested = params.nested('automatic_payment_methods');
    nested?.boolean('enabled');
    expect(() => params.rejectUnknown()).not.toThrow();
    const unknown = errorOf(() => nested?.rejectUnknown());
    expect(unknown.error).toMatchObject({ code: 'parameter_unknown', param: 'automatic_payment_methods[x]' });
    expect(unknown.replayable).toBe(false);
  });
});
