// Requests the way the kubelet probes: one at a time, each on a new connection (for HTTPS a
// full handshake, no session resumption, the certificate not verified), timed from connect to
// the last byte of the response.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface NewConnectionRun {
  /** Milliseconds per successful request. */
  latencies: number[];
  errors: number;
  seconds: number;
}

function once(url: string): Promise<void> {
  const https = url.startsWith('https:');
  return new Promise((resolve, reject) => {
    const options = { agent: false as const, headers: { Connection: 'close' }, rejectUnauthorized: false };
    const req = (https ? httpsRequest : httpRequest)(url, options, (res) => {
      res.resume();
      res.once('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.once('error', reject);
    req.end();
  });
}

/** Sequential requests on new connections for `seconds`. */
export async function newConnections(url: string, seconds: number): Promise<NewConnectionRun> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    try {
      await once(url);
      latencies.push(performance.now() - t0);
    } catch {
      errors++;
    }
  }
  return { latencies, errors, seconds: (performance.now() - started) / 1000 };
}
