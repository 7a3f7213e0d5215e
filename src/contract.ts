// The contract as the server sees it: the document (embedded in the bundle) and the types
// generated from it. Both come from openapi.yaml through `make generate`.
import document from '../generated/openapi.json' with { type: 'json' };
import type { components } from '../generated/client/src/schema.js';

export type Schemas = components['schemas'];
export type Status = Schemas['Status'];
export type Problem = Schemas['Problem'];

export const contract = document;
