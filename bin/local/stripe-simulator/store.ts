import type Stripe from 'stripe';
import { resourceMissing } from './errors.ts';

/**
 * One kind of Stripe object, kept in creation order. Updates replace the stored object (objects are
 * immutable), so a reference handed out earlier stays the snapshot it was.
 */
export class ObjectCollection<T extends { readonly id: string }> {
  private readonly objects = new Map<string, T>();

  /** `resource` is Stripe's name in "No such …" errors, e.g. `payment_intent`. */
  constructor(readonly resource: string) {}

  find(id: string): T | undefined {
    return this.objects.get(id);
  }

  get(id: string, param?: string): T {
    const object = this.objects.get(id);
    if (object === undefined) throw resourceMissing(this.resource, id, param);
    return object;
  }

  save(object: T): T {
    this.objects.set(object.id, object);
    return object;
  }

  /** Newest first, as Stripe lists objects. */
  newestFirst(filter: (object: T) => boolean = () => true): T[] {
    return [...this.objects.values()].filter(filter).reverse();
  }
}

export interface PageRequest {
  readonly limit: number;
  readonly startingAfter: string | undefined;
  readonly endingBefore: string | undefined;
}

/** Stripe's cursor pagination over a newest-first list. */
export function paginate<T extends { readonly id: string }>(
  items: readonly T[],
  page: PageRequest,
  url: string,
  resource: string,
): Stripe.ApiList<T> {
  const indexOf = (id: string, param: string): number => {
    const index = items.findIndex((item) => item.id === id);
    if (index === -1) throw resourceMissing(resource, id, param);
    return index;
  };
  if (page.startingAfter !== undefined) {
    const start = indexOf(page.startingAfter, 'starting_after') + 1;
    const data = items.slice(start, start + page.limit);
    return { object: 'list', data, has_more: start + page.limit < items.length, url };
  }
  if (page.endingBefore !== undefined) {
    const end = indexOf(page.endingBefore, 'ending_before');
    const start = Math.max(0, end - page.limit);
    return { object: 'list', data: items.slice(start, end), has_more: start > 0, url };
  }
  return { object: 'list', data: items.slice(0, page.limit), has_more: items.length > page.limit, url };
}
