// The third-party code of the full HTTP API (express, openapi-backend, Ajv): needed by every
// request that is not a plain read, and by none of the probes, scrapes and status reads that
// are all an idle manager serves. Loaded by src/http/app.ts at the first such request and
// handed to src/http/api.ts. In the bundle this module is embedded compressed and compiled on
// that first use (scripts/build.mjs, ./embedded.ts), so an idle manager neither holds nor
// parses its source.
//
// The libraries are set up one at a time, each in a turn of the event loop of its own:
// together they take about 90 ms of CPU (express and what it requires 50), and a probe that
// arrives meanwhile waits only for the one being set up, not for all of them. Under load
// the whole took 0.5-1 s, as long as a kubelet's probe timeout.
//
// Only its libraries, and nothing of ours: the module may be loaded apart from the rest (the
// tests load it as ES module while mocha loads our code as CommonJS), which is harmless only
// as long as it shares no state or classes with our modules.
import type Express from 'express';
import type { OpenAPIBackend } from 'openapi-backend';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import type AddFormats from 'ajv-formats';

/** What the full API is built from. */
export interface HttpApiLibraries {
  express: typeof Express;
  OpenAPIBackend: typeof OpenAPIBackend;
  Ajv2020: typeof Ajv2020;
  addFormats: typeof AddFormats;
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

export async function load(): Promise<HttpApiLibraries> {
  const { default: express } = await import('express');
  await nextTurn();
  const { OpenAPIBackend } = await import('openapi-backend');
  await nextTurn();
  const { Ajv2020 } = await import('ajv/dist/2020.js');
  await nextTurn();
  const { default: addFormats } = await import('ajv-formats');
  return { express, OpenAPIBackend, Ajv2020, addFormats };
}
