// UPnP control (UPnP Device Architecture 1.1 §3.2): an action is a SOAP 1.1 POST to the
// service's controlURL with a SOAPACTION header "<serviceType>#<action>" (§3.2.1); the answer is
// <actionResponse> with the out arguments, or HTTP 500 with a SOAP fault whose detail holds a
// UPnPError code and description (§3.2.2). Arguments are escaped, never pasted in raw.
import { escapeText } from '../../util/xml.js';
import { httpRequest } from './upnp-http.js';
import { child, parseXml } from './xml-tree.js';

const soapEnvelope = 'http://schemas.xmlsoap.org/soap/envelope/';
const soapEncoding = 'http://schemas.xmlsoap.org/soap/encoding/';
const controlNamespace = 'urn:schemas-upnp-org:control-1-0';

export type SoapResult =
  | { ok: true; values: Record<string, string>; localAddress: string }
  | { ok: false; error: string; upnpErrorCode?: number; noAnswer?: boolean };

export function soapEnvelopeFor(serviceType: string, action: string, args: ReadonlyArray<readonly [string, string | number]>): string {
  const argumentXml = args.map(([name, value]) => `<${name}>${escapeText(String(value))}</${name}>`).join('');
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<s:Envelope xmlns:s="${soapEnvelope}" s:encodingStyle="${soapEncoding}">` +
    `<s:Body><u:${action} xmlns:u="${serviceType}">${argumentXml}</u:${action}></s:Body></s:Envelope>`
  );
}

export async function soapCall(
  controlUrl: URL,
  serviceType: string,
  action: string,
  args: ReadonlyArray<readonly [string, string | number]>,
  timeoutMs: number,
): Promise<SoapResult> {
  const answer = await httpRequest(controlUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml; charset="utf-8"', SOAPAction: `"${serviceType}#${action}"` },
    body: soapEnvelopeFor(serviceType, action, args),
    timeoutMs,
  });
  if (!answer.ok) return { ...answer, noAnswer: true };
  const { status, body, localAddress } = answer.value;
  const parsed = parseXml(body);
  if (!parsed.ok) return { ok: false, error: status === 200 ? parsed.error : `the router answered ${action} with HTTP ${status}` };
  const soapBody = child(parsed.root, 'Body', soapEnvelope);
  if (parsed.root.name !== 'Envelope' || parsed.root.uri !== soapEnvelope || !soapBody) {
    return { ok: false, error: `the router's answer to ${action} is not a SOAP message` };
  }
  const fault = child(soapBody, 'Fault', soapEnvelope);
  if (fault || status !== 200) {
    const upnpError = child(child(fault, 'detail'), 'UPnPError', controlNamespace) ?? child(child(fault, 'detail'), 'UPnPError');
    const code = Number(child(upnpError, 'errorCode')?.text);
    const description = child(upnpError, 'errorDescription')?.text;
    if (Number.isInteger(code)) return { ok: false, upnpErrorCode: code, error: `the router refused ${action} (UPnP error ${code}${description ? ` ${description}` : ''})` };
    return { ok: false, error: `the router answered ${action} with HTTP ${status}` };
  }
  // By local name: some routers answer in another version's namespace than the one asked.
  const response = child(soapBody, `${action}Response`);
  if (!response) return { ok: false, error: `the router's answer to ${action} has no ${action}Response` };
  const values: Record<string, string> = {};
  for (const argument of response.children) values[argument.name] = argument.text;
  return { ok: true, values, localAddress };
}
