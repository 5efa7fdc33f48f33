/**
 * Stands in for `node:stream/web` in the Lambda bundles (lib/bundling.ts `alias`). @middy/core
 * imports it for one thing: `body instanceof ReadableStream`, to recognise a streamed response.
 * Loading Node's web streams at import cost about 6 ms of every checkout cold start here, for a
 * check that only a streaming handler reaches, and none of ours streams. This class answers the
 * same check with Node's own class, which Node loads the first time it is asked.
 *
 * Any other import from `node:stream/web` in a bundle fails the build ("No matching export"),
 * so the stand-in cannot silently replace something it does not provide.
 */
// biome-ignore lint/complexity/noStaticOnlyClass: `instanceof` consults the right-hand side's Symbol.hasInstance; a class is what middy's check expects there.
export const ReadableStream = class {
  static [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof globalThis.ReadableStream;
  }
};
