// The third-party code of the full HTTP API (express, openapi-backend, Ajv): needed by every
// request that is not a plain read, and by none of the probes, scrapes and status reads that
// are all an idle manager serves. Loaded by src/http/app.ts at the first such request and
// handed to src/http/api.ts. In the bundle this module is embedded compressed and compiled on
// that first use (scripts/build.mjs, ./embedded.ts), so an idle manager neither holds nor
// parses its source.
//
// Only re-exports, and nothing of ours: the module may be loaded apart from the rest (the
// tests load it as ES module while mocha loads our code as CommonJS), which is harmless only
// as long as it shares no state or classes with our modules.
export { default as express } from 'express';
export { OpenAPIBackend } from 'openapi-backend';
export { Ajv2020 } from 'ajv/dist/2020.js';
export { default as addFormats } from 'ajv-formats';

/** What the full API is built from. */
export type HttpApiLibraries = typeof import('./http-api.js');
