// A tiny authoritative DNS server on loopback UDP for the certificate tests: every name has the
// address 127.0.0.1 (so pebble's validation of HTTP-01 and TLS-ALPN-01 reaches Hearth on this
// machine), and TXT records can be set and removed, as a DNS provider's API would (DNS-01).
// Only what those lookups need (RFC 1035 §4.1): one question per query, A, AAAA, TXT and CAA.
// Federation tests add SRV records (RFC 2782), so Hearth and Prosody find each other's ports.
import { createSocket, type Socket } from 'node:dgram';

const typeA = 1;
const typeTxt = 16;
const typeSrv = 33;

export interface SrvTarget {
  priority: number;
  weight: number;
  port: number;
  /** The host name; "." says the service is not offered (RFC 2782). */
  target: string;
}
const classIn = 1;

export interface TestDnsServer {
  /** host:port, as pebble's -dnsserver and Hearth's acme.dnsResolvers take it. */
  address: string;
  port: number;
  setTxt(name: string, values: string[]): void;
  removeTxt(name: string): void;
  /** SRV records for a name such as _xmpp-server._tcp.example.test (replacing earlier ones). */
  setSrv(name: string, records: SrvTarget[]): void;
  /** Names asked for, lower-cased, in order. */
  queries: string[];
  stop(): Promise<void>;
}

export async function startTestDnsServer(): Promise<TestDnsServer> {
  const txt = new Map<string, string[]>();
  const srv = new Map<string, SrvTarget[]>();
  const queries: string[] = [];
  const socket: Socket = createSocket('udp4');
  socket.on('message', (message, peer) => {
    const answer = respond(message, txt, queries, srv);
    if (answer) socket.send(answer, peer.port, peer.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const port = socket.address().port;
  return {
    address: `127.0.0.1:${port}`,
    port,
    setTxt: (name, values) => txt.set(name.toLowerCase().replace(/\.$/, ''), values),
    removeTxt: (name) => txt.delete(name.toLowerCase().replace(/\.$/, '')),
    setSrv: (name, records) => srv.set(name.toLowerCase().replace(/\.$/, ''), records),
    queries,
    stop: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

function respond(query: Buffer, txt: Map<string, string[]>, queries: string[], srv: Map<string, SrvTarget[]> = new Map()): Buffer | undefined {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return undefined;
  // The question: labels up to the root, then type and class.
  const labels: string[] = [];
  let offset = 12;
  while (offset < query.length) {
    const length = query[offset]!;
    if (length === 0) break;
    if (length > 63) return undefined;
    labels.push(query.subarray(offset + 1, offset + 1 + length).toString('latin1'));
    offset += 1 + length;
  }
  offset += 1;
  if (offset + 4 > query.length) return undefined;
  const type = query.readUInt16BE(offset);
  const questionEnd = offset + 4;
  const name = labels.join('.').toLowerCase();
  queries.push(name);

  const answers: Buffer[] = [];
  if (type === typeA) answers.push(record(typeA, Buffer.from([127, 0, 0, 1])));
  if (type === typeSrv) {
    for (const { priority, weight, port, target } of srv.get(name) ?? []) {
      const fixed = Buffer.alloc(6);
      fixed.writeUInt16BE(priority, 0);
      fixed.writeUInt16BE(weight, 2);
      fixed.writeUInt16BE(port, 4);
      answers.push(record(typeSrv, Buffer.concat([fixed, encodeName(target)])));
    }
  }
  if (type === typeTxt) {
    for (const value of txt.get(name) ?? []) {
      const text = Buffer.from(value, 'utf8');
      answers.push(record(typeTxt, Buffer.concat([Buffer.from([text.length]), text])));
    }
  }
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  // QR, authoritative, the query's RD bit, no error: an empty answer means "no such record".
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
}

function record(type: number, data: Buffer): Buffer {
  const fixed = Buffer.alloc(12);
  fixed.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
  fixed.writeUInt16BE(type, 2);
  fixed.writeUInt16BE(classIn, 4);
  fixed.writeUInt32BE(1, 6); // one second: tests change records often
  fixed.writeUInt16BE(data.length, 10);
  return Buffer.concat([fixed, data]);
}

/** A domain name as labels (RFC 1035 §3.1), uncompressed; "." is the root alone. */
function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((label) => label !== '');
  return Buffer.concat([...labels.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'latin1')])), Buffer.from([0])]);
}
