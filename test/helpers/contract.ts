// Every response a test receives is checked against openapi.yaml: its status must be
// declared for the operation (a path or method with no operation may only be 404 or 405),
// its media type must be the declared one, and its body must match the declared schema.
// HEAD is checked as the GET of the same path, without a body.
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Response } from 'supertest';
import document from '../../generated/openapi.json' with { type: 'json' };

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

interface MediaObject {
  schema?: unknown;
}
interface ResponseObject {
  $ref?: string;
  content?: Record<string, MediaObject>;
  headers?: Record<string, { required?: boolean }>;
}
interface OperationObject {
  operationId: string;
  responses: Record<string, ResponseObject>;
}
type PathItem = Record<string, OperationObject>;

const paths = document.paths as unknown as Record<string, PathItem>;
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);
ajv.addSchema(document, 'openapi');

/** What a request with no operation in the contract may get: no such path, or no such method. */
const UNROUTED_STATUSES = new Set(['404', '405']);

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Matches a concrete path to its template: /v1/backups/abc → /v1/backups/{id}. */
export function templateFor(path: string): string | undefined {
  const bare = path.split('?')[0];
  for (const template of Object.keys(paths)) {
    const pattern = new RegExp('^' + template.replace(/\{[^}]+\}/g, '[^/]+') + '$');
    if (pattern.test(bare)) return template;
  }
  return undefined;
}

const validators = new Map<string, ReturnType<typeof ajv.getSchema>>();
function validatorFor(pointer: string) {
  if (!validators.has(pointer)) validators.set(pointer, ajv.compile({ $ref: `openapi#${pointer}` }));
  return validators.get(pointer)!;
}

/** The operation a request is routed to; HEAD is the GET of the same path. */
function operationFor(
  method: string,
  path: string,
): { template: string; method: string; operation: OperationObject } | undefined {
  const template = templateFor(path);
  const routed = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
  const operation = template ? paths[template][routed] : undefined;
  return operation ? { template: template!, method: routed, operation } : undefined;
}

/** The declared response for `status` (its $ref followed) and its JSON pointer. */
function declaredResponse(
  routed: { template: string; method: string; operation: OperationObject },
  status: string,
): { response: ResponseObject; pointer: string } | undefined {
  let response = routed.operation.responses[status];
  if (!response) return undefined;
  let pointer = `/paths/${escapePointer(routed.template)}/${routed.method}/responses/${status}`;
  if (response.$ref) {
    pointer = response.$ref.slice(1);
    response = pointer
      .split('/')
      .slice(1)
      .reduce<Record<string, unknown>>(
        (node, key) => node[key] as Record<string, unknown>,
        document as unknown as Record<string, unknown>,
      );
  }
  return { response, pointer };
}

const mediaType = (contentType: string | undefined) => (contentType ?? '').split(';')[0].trim();

/**
 * Why a response with this status and media type is not one the contract declares for
 * `method path`, or undefined when it is. Statuses and media types only: what can be judged
 * of any response seen anywhere in the suite (test/support/contract-recorder.ts).
 */
export function undeclaredReason(
  method: string,
  path: string,
  status: number,
  contentType?: string,
): string | undefined {
  const routed = operationFor(method, path);
  const code = String(status);
  if (!routed) {
    return UNROUTED_STATUSES.has(code) ? undefined : `no operation in openapi.yaml, and ${code} is not 404 or 405`;
  }
  const declared = declaredResponse(routed, code);
  if (!declared) return `status ${code} is not declared for ${routed.operation.operationId}`;
  const media = Object.keys(declared.response.content ?? {});
  const type = mediaType(contentType);
  // HEAD carries the GET's Content-Type too (only the body is left out). Node's own 408 (its
  // request timeout) has no body at all; the contract describes it with the problem document
  // the manager's own 408 carries.
  if (code === '408' && type === '') return undefined;
  if (media.length > 0 && !media.includes(type))
    return `content-type ${type || '(none)'} is not one of ${media.join(', ')}`;
  return undefined;
}

/** Asserts that `res` is a response the contract allows for `method path`. */
export function assertMatchesContract(method: string, path: string, res: Response): void {
  const status = String(res.status);
  const contentType = mediaType(String(res.headers['content-type'] ?? ''));
  const where = `${method.toUpperCase()} ${path} → ${status}`;
  const reason = undeclaredReason(method, path, res.status, contentType);
  assert.equal(reason, undefined, `${where}: ${reason} (body: ${res.text?.slice(0, 300)})`);
  const routed = operationFor(method, path);
  if (method.toLowerCase() === 'head') {
    assert.equal(res.text ?? '', '', `${where}: a HEAD response has no body`);
    return;
  }
  if (!routed) {
    assert.equal(contentType, 'application/problem+json', `${where}: an unrouted request gets problem+json`);
    assertValid('/components/schemas/Problem', res.body, where);
    return;
  }
  const { response, pointer } = declaredResponse(routed, status)!;
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    if (header.required) assert.ok(res.headers[name.toLowerCase()], `${where}: missing required header ${name}`);
  }
  if (Object.keys(response.content ?? {}).length === 0) return;
  const body = contentType.startsWith('text/') || contentType === 'application/openmetrics-text' ? res.text : res.body;
  assertValid(`${pointer}/content/${escapePointer(contentType)}/schema`, body, where);
}

function assertValid(pointer: string, body: unknown, where: string): void {
  const validate = validatorFor(pointer);
  if (!validate) throw new Error(`no schema at ${pointer}`);
  const ok = validate(body);
  assert.ok(
    ok,
    `${where}: body does not match ${pointer}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)?.slice(0, 500)}`,
  );
}

/** Every operation in the contract, for tests that must cover them all. */
export function contractOperations(): {
  method: string;
  path: string;
  operation: OperationObject & Record<string, unknown>;
}[] {
  return Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => ['get', 'put', 'post', 'delete', 'patch'].includes(method))
      .map(([method, operation]) => ({
        method,
        path,
        operation: operation as OperationObject & Record<string, unknown>,
      })),
  );
}

export const openapiDocument = document;
