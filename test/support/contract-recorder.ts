// Every HTTP response any test receives from a manager, recorded as it arrives (Node's
// diagnostics channels see supertest, fetch and the generated client alike, whether or not
// the test checks the response), so that the end of the run can fail when one of them had a
// status the contract does not declare. A manager's responses are recognised by the
// X-Request-Id header every one of them carries (s3rver, Prometheus and the like have none).
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { undeclaredReason } from '../helpers/contract.js';
import { currentTest } from './current-test.js';

export interface Observed {
  method: string;
  /** Path and query, as sent. */
  path: string;
  status: number;
  contentType: string | undefined;
  /** The test that was running (or, in a `before` hook, the last one that began). */
  test: string;
  reason: string;
}

const undeclared: Observed[] = [];
let seen = 0;
let recording = false;

function observe(method: string, path: string, status: number, contentType: string | undefined): void {
  seen++;
  const reason = undeclaredReason(method, path.split('?', 1)[0], status, contentType);
  if (reason !== undefined) undeclared.push({ method, path, status, contentType, test: currentTest(), reason });
}

/** Raw undici headers: [name, value, name, value…] as Buffers or strings. */
function rawHeader(headers: unknown[], name: string): string | undefined {
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (String(headers[i]).toLowerCase() === name) return String(headers[i + 1]);
  }
  return undefined;
}

export function startRecording(): void {
  if (recording) return;
  recording = true;
  subscribe('http.client.response.finish', (message) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    if (response.headers['x-request-id'] === undefined) return;
    observe(request.method, request.path, response.statusCode ?? 0, response.headers['content-type']);
  });
  subscribe('undici:request:headers', (message) => {
    const { request, response } = message as {
      request: { method: string; path: string };
      response: { statusCode: number; headers: unknown[] };
    };
    if (rawHeader(response.headers, 'x-request-id') === undefined) return;
    observe(request.method, request.path, response.statusCode, rawHeader(response.headers, 'content-type'));
  });
}

/** Removes and returns the undeclared responses that match (for the recorder's own test). */
export function takeUndeclared(predicate: (o: Observed) => boolean): Observed[] {
  const taken = undeclared.filter(predicate);
  for (const o of taken) undeclared.splice(undeclared.indexOf(o), 1);
  seen -= taken.length;
  return taken;
}

/** Throws, listing each, when any response of the run had a status the contract does not declare. */
export function assertEveryStatusDeclared(): void {
  if (undeclared.length === 0) {
    process.stdout.write(`\ncontract: all ${seen} manager responses of this run have a declared status\n`);
    return;
  }
  const lines = undeclared.map(
    (o) => `  ${o.method} ${o.path} → ${o.status} ${o.contentType ?? ''}: ${o.reason}\n      in "${o.test}"`,
  );
  throw new Error(
    `${undeclared.length} of ${seen} manager responses in this run are not declared in openapi.yaml:\n${lines.join('\n')}`,
  );
}
