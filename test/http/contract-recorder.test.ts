// The run-wide check that every response a manager gave has a status the contract declares
// (test/support/contract-recorder.ts, asserted in the root after-all hook): its rule, and that
// it really sees responses however a test made the request.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { undeclaredReason } from '../helpers/contract.js';
import { takeUndeclared } from '../support/contract-recorder.js';

describe('contract check of every response in the run', () => {
  describe('the rule', () => {
    const table: [method: string, path: string, status: number, type: string | undefined, declared: boolean][] = [
      ['GET', '/healthz', 200, 'application/json; charset=utf-8', true],
      ['GET', '/healthz', 503, 'application/json', true],
      ['GET', '/healthz', 503, 'application/problem+json', true],
      ['GET', '/healthz', 400, 'application/problem+json', false],
      ['GET', '/healthz', 200, 'text/html', false],
      ['HEAD', '/healthz', 200, 'application/json', true],
      ['HEAD', '/healthz', 418, 'application/json', false],
      ['GET', '/metrics', 200, 'text/plain; version=0.0.4', true],
      ['GET', '/metrics', 503, 'application/problem+json', true],
      ['GET', '/v1/status', 500, 'application/problem+json', true],
      ['GET', '/v1/backups/abc', 404, 'application/problem+json', true],
      ['GET', '/v1/backups/abc', 409, 'application/problem+json', false],
      ['PUT', '/v1/update', 408, undefined, true],
      ['POST', '/v1/fence', 501, 'application/problem+json', true],
      ['DELETE', '/v1/fence', 400, 'application/problem+json', true],
      ['DELETE', '/v1/fence', 409, 'application/problem+json', false],
      ['POST', '/healthz', 405, 'application/problem+json', true],
      ['GET', '/nowhere', 404, 'application/problem+json', true],
      ['GET', '/nowhere', 200, 'application/json', false],
      ['HEAD', '/v1/promote', 405, 'application/problem+json', true],
    ];
    for (const [method, path, status, type, declared] of table) {
      it(`${method} ${path} → ${status} ${type ?? '(no body)'}: ${declared ? 'declared' : 'undeclared'}`, () => {
        const reason = undeclaredReason(method, path, status, type);
        assert.equal(reason === undefined, declared, reason);
      });
    }
  });

  describe('the recording', () => {
    let manager: Server;
    let other: Server;
    const url = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    before(async () => {
      // A stand-in that answers like a manager (X-Request-Id) with a status nobody declared,
      // and one that does not (no X-Request-Id: s3rver, Prometheus…).
      manager = createServer((_req, res) => {
        res.writeHead(418, { 'X-Request-Id': 'r1', 'Content-Type': 'application/problem+json' }).end('{}');
      });
      other = createServer((_req, res) => res.writeHead(418).end());
      await Promise.all([manager, other].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
    });
    after(() => Promise.all([manager, other].map((s) => new Promise((r) => s.close(r)))));

    it('sees a manager’s undeclared status whether it came through fetch, supertest or HEAD', async () => {
      await fetch(`${url(manager)}/v1/status?x=1`);
      await request(url(manager)).get('/healthz');
      await fetch(`${url(manager)}/readyz`, { method: 'HEAD' });
      await fetch(`${url(other)}/v1/status`);
      const seen = takeUndeclared((o) => o.status === 418);
      assert.deepEqual(
        seen.map((o) => `${o.method} ${o.path}`),
        ['GET /v1/status?x=1', 'GET /healthz', 'HEAD /readyz'],
      );
      assert.ok(seen.every((o) => /418 is not declared/.test(o.reason)));
      assert.match(seen[0].test, /sees a manager’s undeclared status/);
    });
  });
});
