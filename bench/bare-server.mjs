// The baseline: a bare Node http server answering fixed bytes, as fast as Node can; with a
// certificate and key, the same over HTTPS (Node's own TLS cost, the floor for the manager's).
//   node bench/bare-server.mjs PORT BODY CONTENT_TYPE [CERT_FILE KEY_FILE]
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

const [port, body, contentType, cert, key] = process.argv.slice(2);
const bytes = Buffer.from(body);
const answer = (_req, res) => {
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': bytes.length });
  res.end(bytes);
};
const server = cert
  ? createHttpsServer({ cert: readFileSync(cert), key: readFileSync(key) }, answer)
  : createServer(answer);
server.listen(Number(port), '127.0.0.1');
