import * as z from 'zod/mini';

/** `?limit=1..100` (default 20) and `?cursor=`. */
export const PageQuery = z.strictObject({
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 20),
  cursor: z.optional(z.string().check(z.minLength(1))),
});

export const pageOf = (item: () => z.ZodMiniType) => () =>
  z.object({ data: z.array(item()), nextCursor: z.nullable(z.string()) });
