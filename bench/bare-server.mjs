// The baseline: a bare Node http server answering fixed bytes, as fast as Node can; with a
// certificate and key, the same over HTTPS (Node's own TLS cost, the floor for the manager's);
// with a CA too, every handshake asks for a client certificate and requires none, as the
// manager does with --tls-client-ca-file (that request alone costs Node 30-80% more CPU per
// handshake: bench/README.md).
//   node bench/bare-server.mjs PORT BODY CONTENT_TYPE [CERT_FILE KEY_FILE [CA_FILE]]
// SIGUSR2 makes it run, once, the memory-reducing collection the manager runs a second after
// start-up (src/heap.ts), without the nextTick entry the manager keeps alive through it: after
// it, Node's own request path costs more CPU and stays there (bench/README.md), which is what
// bench/probes.ts shows beside the manager.
//
// Node's modules are taken with process.getBuiltinModule, not imported, for the reason the
// manager's bundle takes them with require() (scripts/build.mjs): the ES facade of an imported
// built-in loads undici and TLS, 10 MiB of RSS on a reference that should be Node itself
// (bench/README.md, "The bare server's own imports"). HTTPS only when a certificate is given.

// Loaded only when asked: the fresh server is the goals' reference and should load nothing more.
process.once('SIGUSR2', () => {
  const { setFlagsFromString } = process.getBuiltinModule('node:v8');
  const { runInNewContext } = process.getBuiltinModule('node:vm');
  // As src/heap.ts takes it: exposed to a throwaway context only.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  setFlagsFromString('--no-expose-gc');
  gc({ type: 'major', flavor: 'last-resort' });
});

const { readFileSync } = process.getBuiltinModule('node:fs');
const [port, body, contentType, cert, key, ca] = process.argv.slice(2);
const bytes = Buffer.from(body);
const answer = (_req, res) => {
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': bytes.length });
  res.end(bytes);
};
const server = cert
  ? process.getBuiltinModule('node:https').createServer(
      {
        cert: readFileSync(cert),
        key: readFileSync(key),
        ...(ca && { ca: readFileSync(ca), requestCert: true, rejectUnauthorized: false }),
      },
      answer,
    )
  : process.getBuiltinModule('node:http').createServer(answer);
server.listen(Number(port), '127.0.0.1');
