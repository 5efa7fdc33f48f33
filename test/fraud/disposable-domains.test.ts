import { describe, expect, it } from 'vitest';
import { isDisposableEmail } from '../../functions/domain/fraud.ts';
import { disposableDomains } from '../../functions/fraud/disposable-domains.ts';

describe('disposableDomains', () => {
  it('loads the package lists once per container', async () => {
    const [first, second] = await Promise.all([disposableDomains(), disposableDomains()]);
    expect(second).toBe(first);
    expect(await disposableDomains()).toBe(first);
    expect(first.domains.size).toBeGreaterThan(100_000);
    expect(first.wildcardDomains.size).toBeGreaterThan(0);
  });

  it('flags listed domains and subdomains of wildcard ones, not ordinary ones', async () => {
    const { domains, wildcardDomains } = await disposableDomains();
    expect(isDisposableEmail(' Shopper@Mailinator.com ', domains, wildcardDomains)).toBe(true);
    expect(isDisposableEmail('a@x.10mail.org', domains, wildcardDomains)).toBe(true);
    expect(isDisposableEmail('a@example.com', domains, wildcardDomains)).toBe(false);
  });
});
