// supertest against a manager, with every response checked against the contract.
//   const res = await api(m).post('/v1/demote').set(auth(m)).send({ primaryHost: 'x' });
import type { Server } from 'node:http';
import request from 'supertest';
import { assertMatchesContract } from './contract.js';

type Target = string | Server | { url: string };

function base(target: Target): string | Server {
  return typeof target === 'object' && 'url' in target ? target.url : target;
}

export function api(target: Target) {
  const agent = request(base(target));
  const checked = (method: 'get' | 'head' | 'post' | 'put' | 'delete' | 'patch', path: string) =>
    agent[method](path).expect((res) => assertMatchesContract(method, path, res));
  return {
    get: (path: string) => checked('get', path),
    head: (path: string) => checked('head', path),
    post: (path: string) => checked('post', path),
    put: (path: string) => checked('put', path),
    delete: (path: string) => checked('delete', path),
    patch: (path: string) => checked('patch', path),
  };
}
