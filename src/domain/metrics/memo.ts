// A string function remembered by its argument, for values a scrape derives again and again
// from the same few keys out of INFO (latency percentiles: p50, p99, p99.9). Bounded, since
// the keys come from Redis: past the bound a value is derived afresh at each use.
const MAX_KEYS = 1024;

export function remembered(derive: (key: string) => string | undefined): (key: string) => string | undefined {
  const values = new Map<string, string | undefined>();
  return (key) => {
    if (values.has(key)) return values.get(key);
    const value = derive(key);
    if (values.size < MAX_KEYS) values.set(key, value);
    return value;
  };
}
