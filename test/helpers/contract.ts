// Every response a test receives is checked against openapi.yaml: its status must be
// declared for the operation (or be one the server may answer anywhere: 404, 405, 500), its
// media type must be the declared one, and its body must match the declared schema.
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

/** Statuses any route may answer without declaring them: routing failures and crashes. */
const UNIVERSAL_PROBLEMS = new Set(['404', '405', '500']);

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

/** Asserts that `res` is a response the contract allows for `method path`. */
export function assertMatchesContract(method: string, path: string, res: Response): void {
  const status = String(res.status);
  const contentType = String(res.headers['content-type'] ?? '')
    .split(';')[0]
    .trim();
  const template = templateFor(path);
  const operation = template ? paths[template][method.toLowerCase()] : undefined;
  const where = `${method.toUpperCase()} ${path} → ${status}`;

  if (!operation || !(status in operation.responses)) {
    assert.ok(
      UNIVERSAL_PROBLEMS.has(status) || (!operation && status === '404'),
      `${where}: status not declared in openapi.yaml (body: ${res.text?.slice(0, 300)})`,
    );
    assert.equal(contentType, 'application/problem+json', `${where}: undeclared statuses must be problem+json`);
    assertValid('/components/schemas/Problem', res.body, where);
    return;
  }

  let response = operation.responses[status];
  let pointer = `/paths/${escapePointer(template!)}/${method.toLowerCase()}/responses/${status}`;
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
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    if (header.required) assert.ok(res.headers[name.toLowerCase()], `${where}: missing required header ${name}`);
  }
  const declared = Object.keys(response.content ?? {});
  if (declared.length === 0) return;
  assert.ok(
    declared.includes(contentType),
    `${where}: content-type ${contentType} is not one of ${declared.join(', ')}`,
  );
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
