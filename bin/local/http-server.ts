/**
 * The local stand-in for API Gateway HTTP API (payload v2): it serves the topology's routes by
 * handing the same events that API Gateway would to the same handler modules that Lambda runs.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { allRoutes, type FunctionName, functionDefinition, type RouteKey } from '../../lib/topology.ts';
import { lambdaContext } from './sqs-poller.ts';

export type ApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface LocalRoute {
  readonly key: RouteKey;
  readonly method: string;
  readonly functionName: FunctionName;
  /** Matches the path and captures `{name}` segments as path parameters. */
  readonly pattern: RegExp;
  readonly parameterNames: readonly string[];
}

/** API Gateway's own limit on a request body; the functions enforce the contract's 256 KiB. */
const gatewayBodyLimit = 10 * 1024 * 1024;

/** The routes the local server serves: exactly the topology's. */
export function localRoutes(): LocalRoute[] {
  return allRoutes().map(({ functionName, route }) => {
    const [method = '', path = ''] = route.key.split(' ');
    const parameterNames: string[] = [];
    const source = path
      .split('/')
      .map((segment) => {
        const parameter = /^\{(\w+)\}$/.exec(segment)?.[1];
        if (parameter === undefined) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        parameterNames.push(parameter);
        return '([^/]+)';
      })
      .join('/');
    return { key: route.key, method, functionName, pattern: new RegExp(`^${source}$`), parameterNames };
  });
}

export const localControlPrefix = '/_local/';

export type LocalControl = (request: {
  readonly method: string;
  readonly path: string;
  readonly body: string;
}) => Promise<{ readonly status: number; readonly body: unknown }>;

export interface LocalHttpServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startHttpServer(options: {
  readonly port: number;
  readonly host?: string;
  readonly loadHandler: (functionName: FunctionName) => Promise<ApiHandler>;
  /**
   * Controls of the local stack itself under `/_local/` (the clock): served before the routes,
   * never part of the topology, so never deployed.
   */
  readonly localControl?: LocalControl;
  readonly onError?: (error: unknown) => void;
}): Promise<LocalHttpServer> {
  const routes = localRoutes();
  const server: Server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      options.onError?.(error);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end('{"message":"Internal Server Error"}');
    });
  });

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    const match = matchRoute(routes, method, url.pathname);
    const body = await readBody(request);
    if (body === 'too_large') {
      response.writeHead(413, { 'content-type': 'application/json' });
      response.end('{"message":"Request Entity Too Large"}');
      return;
    }
    if (url.pathname.startsWith(localControlPrefix) && options.localControl !== undefined) {
      const answer = await options.localControl({ method, path: url.pathname, body: body.toString('utf8') });
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer.body));
      return;
    }
    if (match === undefined) {
      // What API Gateway answers for a route it does not have.
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end('{"message":"Not Found"}');
      return;
    }
    const definition = functionDefinition(match.route.functionName);
    const handler = await options.loadHandler(match.route.functionName);
    const event = gatewayEvent(request, url, match, body);
    const result = await handler(
      event,
      lambdaContext(match.route.functionName, definition.timeoutSeconds, definition.memoryMb),
    );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
    response.writeHead(result.statusCode ?? 200, headers);
    response.end(
      result.body === undefined
        ? undefined
        : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8'),
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  server.keepAliveTimeout = 5_000;
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function matchRoute(
  routes: readonly LocalRoute[],
  method: string,
  path: string,
): { route: LocalRoute; parameters: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const found = route.pattern.exec(path);
    if (found === null) continue;
    const parameters: Record<string, string> = {};
    route.parameterNames.forEach((name, index) => {
      parameters[name] = decodeURIComponent(found[index + 1] ?? '');
    });
    return { route, parameters };
  }
  return undefined;
}

async function readBody(request: IncomingMessage): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > gatewayBodyLimit) return 'too_large';
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function gatewayEvent(
  request: IncomingMessage,
  url: URL,
  match: { route: LocalRoute; parameters: Record<string, string> },
  body: Buffer,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams)
    query[name] = name in query ? `${query[name]},${value}` : value;
  const now = new Date();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: match.route.key,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: match.route.method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomBytes(12).toString('base64url'),
      routeKey: match.route.key,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
  if (Object.keys(query).length > 0) event.queryStringParameters = query;
  if (match.route.parameterNames.length > 0) event.pathParameters = match.parameters;
  if (body.length > 0) event.body = body.toString('utf8');
  return event;
}
