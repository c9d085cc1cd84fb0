// The floor under Hearth's memory: plain Node with nothing but TLS connections, the way Hearth
// holds them (a net.Socket accepted, then wrapped in a server TLSSocket, as STARTTLS does), with
// the same Node flags and certificate. `node tls-floor-process.js CERT KEY` prints "ready <port>";
// every connection echoes what it reads. What this process costs per connection is what Node and
// OpenSSL cost whatever the server does on top (bench/scenarios/tls-floor.ts measures it).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';

const [certFile, keyFile] = process.argv.slice(2);
if (!certFile || !keyFile) {
  process.stderr.write('usage: node tls-floor-process.js CERT_FILE KEY_FILE\n');
  process.exit(2);
}
const secureContext = createSecureContext({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' });
const connections = new Set<TLSSocket>();
const server = createServer((raw) => {
  const socket = new TLSSocket(raw, { isServer: true, secureContext });
  connections.add(socket);
  socket.on('data', (chunk: Buffer) => socket.write(chunk));
  socket.on('error', () => socket.destroy());
  socket.on('close', () => connections.delete(socket));
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`ready ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.once('SIGTERM', () => process.exit(0));
