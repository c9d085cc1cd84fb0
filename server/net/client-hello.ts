// Reads the server name (SNI, RFC 6066 §3) and the offered application protocols (ALPN,
// RFC 7301 §3.1) from a TLS ClientHello (RFC 8446 §4.1.2), before the TLS library sees it.
// Only what picking a certificate by ALPN needs (acme-tls/1, RFC 8737 §3); anything that does
// not look like a whole ClientHello in the first record is "unknown" and handled normally.

export interface ClientHelloSummary {
  serverName: string | undefined;
  alpnProtocols: string[];
}

const recordHeaderBytes = 5;
const contentTypeHandshake = 22;
const handshakeClientHello = 1;
const extensionServerName = 0;
const extensionAlpn = 16;

/** How many bytes the first TLS record needs in all, once its header is in; undefined before that. */
export function firstRecordLength(data: Buffer): number | undefined {
  if (data.length < recordHeaderBytes) return undefined;
  return recordHeaderBytes + data.readUInt16BE(3);
}

/** The first bytes could be a TLS handshake record (anything else is not TLS at all). */
export function looksLikeTlsHandshake(data: Buffer): boolean {
  return data.length === 0 || data[0] === contentTypeHandshake;
}

/** SNI and ALPN of the ClientHello in the first record, or undefined when it cannot be read from it. */
export function parseClientHello(data: Buffer): ClientHelloSummary | undefined {
  const total = firstRecordLength(data);
  if (total === undefined || data.length < total || data[0] !== contentTypeHandshake) return undefined;
  const reader = new Reader(data.subarray(recordHeaderBytes, total));
  try {
    if (reader.u8() !== handshakeClientHello) return undefined;
    const body = reader.sub(reader.u24());
    body.skip(2 + 32); // legacy_version, random
    body.skip(body.u8()); // legacy_session_id
    body.skip(body.u16()); // cipher_suites
    body.skip(body.u8()); // legacy_compression_methods
    const summary: ClientHelloSummary = { serverName: undefined, alpnProtocols: [] };
    if (body.remaining === 0) return summary;
    const extensions = body.sub(body.u16());
    while (extensions.remaining > 0) {
      const type = extensions.u16();
      const data = extensions.sub(extensions.u16());
      if (type === extensionServerName) summary.serverName = readServerName(data);
      else if (type === extensionAlpn) summary.alpnProtocols = readProtocols(data);
    }
    return summary;
  } catch {
    return undefined;
  }
}

function readServerName(data: Reader): string | undefined {
  const list = data.sub(data.u16());
  while (list.remaining > 0) {
    const type = list.u8();
    const name = list.bytes(list.u16());
    if (type === 0) return name.toString('ascii').toLowerCase();
  }
  return undefined;
}

function readProtocols(data: Reader): string[] {
  const list = data.sub(data.u16());
  const protocols: string[] = [];
  while (list.remaining > 0) protocols.push(list.bytes(list.u8()).toString('latin1'));
  return protocols;
}

class Reader {
  private offset = 0;
  constructor(private readonly data: Buffer) {}

  get remaining(): number {
    return this.data.length - this.offset;
  }

  u8(): number {
    return this.bytes(1)[0]!;
  }

  u16(): number {
    return this.bytes(2).readUInt16BE(0);
  }

  u24(): number {
    const b = this.bytes(3);
    return (b[0]! << 16) | (b[1]! << 8) | b[2]!;
  }

  skip(length: number): void {
    this.bytes(length);
  }

  bytes(length: number): Buffer {
    if (length > this.remaining) throw new RangeError('truncated ClientHello');
    const slice = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  sub(length: number): Reader {
    return new Reader(this.bytes(length));
  }
}
