// s3rver in its own process for the backup benchmark, so that neither the manager nor the
// plain-upload baseline shares an event loop with the server. Prints its port, then serves
// until killed.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';

const directory = process.argv[2];
if (!directory) throw new Error('usage: s3rver-process.ts DIRECTORY');
const s3rver = new S3rver({ directory, silent: true, vhostBuckets: false, configureBuckets: [{ name: 'bench' }] });
await s3rver.configureBuckets();
const server = createServer(s3rver.callback());
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
