/**
 * An operation of the public API: its route, auth, request schemas and responses. The same object
 * validates requests in the handler and describes the route in /openapi.json, so the two agree.
 */
import type * as z from 'zod/mini';
import type { RouteAuth, RouteKey } from '../../lib/topology.ts';
import type { ErrorCode } from '../domain/errors.ts';

export interface ResponseSpec {
  readonly description: string;
  /** Built on demand (see `lazySchema`): only the OpenAPI generator needs it. */
  readonly schema?: () => z.ZodMiniType;
}

export interface Operation {
  readonly route: RouteKey;
  readonly auth: RouteAuth;
  readonly summary: string;
  readonly tag: string;
  readonly body?: z.ZodMiniType;
  readonly query?: z.ZodMiniType;
  readonly params?: z.ZodMiniType;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** The problem codes this operation may answer with, besides the generic ones. */
  readonly errors: readonly ErrorCode[];
}

/** Declares an operation, keeping its literal types for the handler's inference. */
export function operation<const O extends Operation>(definition: O): O {
  return definition;
}

/** The parsed inputs an operation's action receives. */
export type BodyOf<O extends Operation> = O['body'] extends z.ZodMiniType ? z.output<O['body']> : undefined;
export type QueryOf<O extends Operation> = O['query'] extends z.ZodMiniType
  ? z.output<O['query']>
  : undefined;
export type ParamsOf<O extends Operation> = O['params'] extends z.ZodMiniType
  ? z.output<O['params']>
  : undefined;
