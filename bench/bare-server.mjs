// The baseline: a bare Node http server answering fixed bytes, as fast as Node can.
//   node bench/bare-server.mjs PORT BODY CONTENT_TYPE
import { createServer } from 'node:http';

const [port, body, contentType] = process.argv.slice(2);
const bytes = Buffer.from(body);
createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': bytes.length });
  res.end(bytes);
}).listen(Number(port), '127.0.0.1');
