// openapi-backend, set up for an OpenAPI 3.1 document: Ajv 2020 with formats (the default
// Ajv misreads 3.1 keywords), and every failure path registered so that no invalid,
// unrouted or unauthorised request can reach an operation handler.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject } from 'ajv';
import type { Context, Document, OpenAPIBackend, Request as BackendRequest } from 'openapi-backend';
import type { HttpApiLibraries } from '../vendor/http-api.js';
import { contract, contractOperations } from '../contract.js';
import { contextOf } from './request-context.js';
import {
  MethodNotAllowedError,
  NotFoundError,
  NotImplementedError,
  UnauthorizedError,
  ValidationError,
  type FieldError,
} from '../errors.js';

/** The schemes that protect writes (components.securitySchemes): the bearer token and the client certificate. */
export const OPERATOR_SCHEMES = ['operatorToken', 'operatorCertificate'] as const;

// ajv-formats is CommonJS with a default export.
type AddFormats = (ajv: Ajv2020) => Ajv2020;

export type OperationHandler = (context: Context, req: Request, res: Response) => Promise<void> | void;

/**
 * A read with no parameters and no body (probes, status, metrics). It needs nothing that
 * routing or validation would give it, so the fast path can call it directly.
 */
export type PlainRead = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function asOperationHandler(read: PlainRead): OperationHandler {
  return (_c, req, res) => read(req, res);
}

/** GET, and HEAD: answered as the GET on the same path, without the body (RFC 9110 §9.3.2). */
export function isRead(method: string | undefined): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** Each GET operation's path pattern and the query parameters it declares. */
const readQueries = contractOperations
  .filter((op) => op.method === 'GET')
  .map((op) => ({
    pattern: new RegExp('^' + op.path.replace(/\{[^}]+\}/g, '[^/]+') + '$'),
    declared: new Set(op.query),
  }));

/**
 * A read keeps only the query parameters its operation declares: an unknown one (a Prometheus
 * `params:` block, a cache-buster) is ignored, never a 400. Writes keep theirs, and an unknown
 * parameter there is refused (400) by validation.
 */
function declaredQuery(path: string, query: Record<string, unknown>): BackendRequest['query'] {
  const declared = readQueries.find((r) => r.pattern.test(path))?.declared;
  const kept: Record<string, unknown> = {};
  if (declared) for (const [name, value] of Object.entries(query)) if (declared.has(name)) kept[name] = value;
  return kept as BackendRequest['query'];
}

export function toBackendRequest(req: Request): BackendRequest {
  const read = isRead(req.method);
  return {
    method: read ? 'GET' : req.method,
    path: req.path,
    headers: req.headers as BackendRequest['headers'],
    query: read ? declaredQuery(req.path, req.query) : (req.query as BackendRequest['query']),
    body: req.body as unknown,
  };
}

function fieldErrors(errors: ErrorObject[] | null | undefined): FieldError[] {
  return (errors ?? []).map((e) => {
    const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const extra =
      e.keyword === 'additionalProperties'
        ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})`
        : '';
    return { path: path === '' ? 'request' : path, message: `${e.message ?? 'is invalid'}${extra}` };
  });
}

/** The methods the contract allows on a path, for the Allow header of a 405. */
function allowedMethods(api: OpenAPIBackend, path: string): string[] {
  const allowed = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH'].filter((method) =>
    api.matchOperation({ method, path, headers: {} }),
  );
  return allowed.includes('GET') ? ['GET', 'HEAD', ...allowed.slice(1)] : allowed;
}

/** Built from the libraries the full API loads at its first request (src/vendor/http-api.ts). */
export function createBackend(
  { OpenAPIBackend, Ajv2020, addFormats }: HttpApiLibraries,
  handlers: Record<string, OperationHandler>,
): OpenAPIBackend {
  /**
   * openapi-backend's own definition check only knows OpenAPI 3.0 and rejects valid 3.1
   * (`info.summary`, `type: [x, 'null']`); the contract is linted with @redocly/cli instead.
   * Everything else stays strict: a broken document or handler map still fails at init().
   */
  class OpenAPI31Backend extends OpenAPIBackend {
    override validateDefinition(): Document {
      return this.document;
    }
  }
  const api = new OpenAPI31Backend({
    definition: contract as unknown as Document,
    strict: true,
    validate: true,
    // Compile each operation's request validator on first use instead of compiling request
    // and response validators for every operation at start: response validation is never
    // used at run time (tests do it), the eager compile costs ~40 MiB of heap, and the
    // manager listens again sooner after the exec of an upgrade (init ~850 ms → ~50 ms).
    quick: true,
    ignoreTrailingSlashes: false,
    customizeAjv: (_original, ajvOptions) => {
      // validateSchema: false skips compiling the 2020-12 meta-schema at the first request
      // (~50 ms of CPU right after an upgrade's exec); the contract is linted by redocly.
      const ajv = new Ajv2020({ ...ajvOptions, strict: false, allErrors: true, validateSchema: false });
      (addFormats as unknown as AddFormats)(ajv);
      return ajv;
    },
    handlers: {
      ...handlers,
      validationFail: (c: Context) => {
        const errors = fieldErrors(c.validation.errors);
        throw new ValidationError(
          errors.map((e) => `${e.path} ${e.message}`).join('; ') || 'the request is invalid',
          errors,
        );
      },
      // The body gate has already verified the token; this runs only if it did not.
      unauthorizedHandler: () => {
        throw new UnauthorizedError('this operation needs the operator token as a bearer token', false);
      },
      notFound: (c: Context) => {
        throw new NotFoundError(`no operation at ${c.request.method.toUpperCase()} ${c.request.path}`);
      },
      methodNotAllowed: (c: Context) => {
        const allow = allowedMethods(api, c.request.path);
        throw new MethodNotAllowedError(
          `${c.request.method.toUpperCase()} is not allowed on ${c.request.path}; use ${allow.join(' or ')}`,
          allow,
        );
      },
      notImplemented: (c: Context) => {
        throw new NotImplementedError(
          `${c.operation.operationId ?? 'this operation'} is in the contract but not available in this build yet`,
        );
      },
    },
  });
  // Authentication happens in the body gate, before the body is read; this reports its verdict.
  for (const scheme of OPERATOR_SCHEMES) {
    api.registerSecurityHandler(scheme, (_c: Context, _req: Request, res: Response) => contextOf(res).authenticated);
  }
  return api;
}
