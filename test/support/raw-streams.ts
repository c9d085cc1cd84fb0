// Raw streams brought to the point a test needs them, for what @xmpp/client cannot do
// (in-band registration before authentication, XEP-0077).
import { parse, type Element } from 'ltx';
import { RawClient } from './raw-client.js';

/** Another server's domain than localhost, and whether its certificate may be bad (federation tests). */
export interface RawStreamOptions {
  domain?: string;
  acceptAnyCertificate?: boolean;
  /** Connect from this loopback address (127.0.0.77) instead of 127.0.0.1. */
  localAddress?: string;
}

/** A plain connection upgraded with STARTTLS, with a fresh stream open; returns its features as text. */
export async function openSecureStream(port: number, options: RawStreamOptions = {}): Promise<{ raw: RawClient; features: string }> {
  const raw = await RawClient.plain(port, { localAddress: options.localAddress });
  raw.openStream(options.domain);
  await raw.waitFor(/<\/stream:features>/);
  raw.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
  await raw.waitFor(/<proceed[^>]*\/>/);
  await raw.startTls({ servername: options.domain, acceptAnyCertificate: options.acceptAnyCertificate });
  raw.openStream(options.domain);
  const features = await raw.waitFor(/<\/stream:features>/);
  return { raw, features };
}

/** Sends an iq (as literal XML, with this id) and resolves with the parsed answer carrying the same id. */
export async function rawIq(raw: RawClient, id: string, iq: string): Promise<Element> {
  raw.send(iq);
  const answer = new RegExp(`<iq\\b[^>]*\\bid="${id}"[^>]*?(?:/>|>[\\s\\S]*?</iq>)`);
  const text = await raw.waitFor(answer);
  return parse(answer.exec(text)![0]) as Element;
}

/** Signs in with PLAIN over STARTTLS and opens the authenticated stream; returns its features. */
export async function rawAuthenticate(port: number, username: string, password: string, options: RawStreamOptions = {}): Promise<{ raw: RawClient; features: string }> {
  const { raw } = await openSecureStream(port, options);
  raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${username}\0${password}`).toString('base64')}</auth>`);
  await raw.waitFor(/<success[^>]*(\/>|<\/success>)/);
  raw.openStream(options.domain);
  const features = await raw.waitFor(/<\/stream:features>/);
  return { raw, features };
}

/** Signs in and binds `resource`: a raw client ready for stanzas. */
export async function rawLogin(port: number, username: string, password: string, resource: string, options: RawStreamOptions = {}): Promise<RawClient> {
  const { raw } = await rawAuthenticate(port, username, password, options);
  await rawIq(raw, 'bind', `<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
  return raw;
}
