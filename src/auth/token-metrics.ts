// The operator token's health for /metrics, looked at again by a scrape at most once a second
// (so a change of the file is noticed with no write coming in): whether writes can be
// authenticated at all, and the reloads that found the file unusable, by kind. Alert on the
// gauge: at 0 every write of the operator is refused.
import type { Family } from '../domain/metrics/exposition.js';
import { TOKEN_FAILURES, type TokenStore } from './token.js';

export const TOKEN_METRIC_NAMES = {
  usable: 'instance_manager_token_usable',
  reloadFailures: 'instance_manager_token_reload_failures_total',
} as const;

export function tokenFamilies(tokens: TokenStore): Family[] {
  const { usable, failures } = tokens.stats();
  return [
    {
      name: TOKEN_METRIC_NAMES.usable,
      type: 'gauge',
      help: '1 when the --token-file holds a usable operator token, 0 when every write is refused (no file, unreadable, empty, or not a bearer token).',
      samples: [{ value: usable ? 1 : 0 }],
    },
    {
      name: TOKEN_METRIC_NAMES.reloadFailures,
      type: 'counter',
      help: 'Changes of the --token-file that left it unusable, by reason: missing, unreadable, empty, or invalid (content that cannot be a bearer token).',
      samples: TOKEN_FAILURES.map((reason) => ({ labels: { reason }, value: failures.get(reason) ?? 0 })),
    },
  ];
}
