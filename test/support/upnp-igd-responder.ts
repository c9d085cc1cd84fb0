// A UPnP Internet Gateway Device for tests: HTTP on 127.0.0.1 at an ephemeral port, serving a
// device description (UPnP Device Architecture 1.1 §2.3) with a WAN connection service, and
// answering its SOAP actions (§3.2) GetExternalIPAddress, AddPortMapping and DeletePortMapping
// like a home router, with UPnPError faults where routers give them. Every action is recorded.
// No SSDP: the client is given the description's address directly.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UpnpAction {
  action: string;
  /** The SOAPACTION header as sent. */
  soapAction: string;
  args: Record<string, string>;
}

export interface UpnpResponderOptions {
  /** The WAN connection service offered (default WANIPConnection:1). */
  serviceType?: string;
  externalAddress?: string;
  /** Serve a controlURL on another host (127.0.0.2, still loopback), as a rogue description might. */
  foreignControlUrl?: boolean;
}

export interface UpnpMappingEntry {
  internalPort: number;
  internalClient: string;
  leaseDuration: number;
  description: string;
}

const controlPath = '/ctl/WANConn';

export class UpnpIgdResponder {
  readonly actions: UpnpAction[] = [];
  /** Mappings by external port (TCP). */
  readonly mappings = new Map<number, UpnpMappingEntry>();
  externalAddress: string;
  /** Like IGD v1 routers that keep only permanent mappings: a lease other than 0 gets error 725. */
  onlyPermanentLeases = false;
  /** External ports another device holds: AddPortMapping on them gets error 718. */
  readonly takenPorts = new Set<number>();
  readonly serviceType: string;

  private constructor(
    private readonly server: Server,
    private readonly options: UpnpResponderOptions,
  ) {
    this.serviceType = options.serviceType ?? 'urn:schemas-upnp-org:service:WANIPConnection:1';
    this.externalAddress = options.externalAddress ?? '203.0.113.9';
  }

  static async start(options: UpnpResponderOptions = {}): Promise<UpnpIgdResponder> {
    let responder: UpnpIgdResponder | undefined;
    const server = createServer((request, response) => responder!.handle(request, response));
    responder = new UpnpIgdResponder(server, options);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return responder;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** portMapping.gateway for this responder: its description's address. */
  get gateway(): string {
    return `http://127.0.0.1:${this.port}/rootDesc.xml`;
  }

  actionsNamed(action: string): UpnpAction[] {
    return this.actions.filter((a) => a.action === action);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (request.method === 'GET' && request.url === '/rootDesc.xml') return this.send(response, 200, this.description());
      if (request.method === 'POST' && request.url === controlPath) return this.control(request, body, response);
      response.writeHead(404).end();
    });
  }

  private description(): string {
    const control = this.options.foreignControlUrl ? `http://127.0.0.2:${this.port}${controlPath}` : controlPath;
    return `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion><major>1</major><minor>1</minor></specVersion>
  <device>
    <deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>
    <friendlyName>Test router</friendlyName>
    <UDN>uuid:00000000-0000-0000-0000-000000000001</UDN>
    <serviceList>
      <service>
        <serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType>
        <serviceId>urn:upnp-org:serviceId:L3Forwarding1</serviceId>
        <controlURL>/ctl/L3F</controlURL><eventSubURL>/evt/L3F</eventSubURL><SCPDURL>/L3F.xml</SCPDURL>
      </service>
    </serviceList>
    <deviceList>
      <device>
        <deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>
        <deviceList>
          <device>
            <deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>
            <serviceList>
              <service>
                <serviceType>${this.serviceType}</serviceType>
                <serviceId>urn:upnp-org:serviceId:WANConn1</serviceId>
                <controlURL>${control}</controlURL><eventSubURL>/evt/WANConn</eventSubURL><SCPDURL>/WANConn.xml</SCPDURL>
              </service>
            </serviceList>
          </device>
        </deviceList>
      </device>
    </deviceList>
  </device>
</root>`;
  }

  private control(request: IncomingMessage, body: string, response: ServerResponse): void {
    const soapAction = String(request.headers.soapaction ?? '');
    const match = /<u:(\w+) xmlns:u="([^"]+)">(.*)<\/u:\1>/s.exec(body);
    if (!match || match[2] !== this.serviceType || soapAction !== `"${this.serviceType}#${match[1]}"`) return this.fault(response, 401, 'Invalid Action');
    const action = match[1]!;
    const args: Record<string, string> = {};
    for (const arg of match[3]!.matchAll(/<(\w+)>([^<]*)<\/\1>/g)) args[arg[1]!] = arg[2]!;
    this.actions.push({ action, soapAction, args });
    switch (action) {
      case 'GetExternalIPAddress':
        return this.reply(response, action, `<NewExternalIPAddress>${this.externalAddress}</NewExternalIPAddress>`);
      case 'AddPortMapping': {
        const externalPort = Number(args.NewExternalPort);
        const lease = Number(args.NewLeaseDuration);
        if (args.NewProtocol !== 'TCP' && args.NewProtocol !== 'UDP') return this.fault(response, 402, 'Invalid Args');
        if (this.takenPorts.has(externalPort)) return this.fault(response, 718, 'ConflictInMappingEntry');
        if (this.onlyPermanentLeases && lease !== 0) return this.fault(response, 725, 'OnlyPermanentLeasesSupported');
        this.mappings.set(externalPort, { internalPort: Number(args.NewInternalPort), internalClient: args.NewInternalClient ?? '', leaseDuration: lease, description: args.NewPortMappingDescription ?? '' });
        return this.reply(response, action, '');
      }
      case 'DeletePortMapping': {
        const externalPort = Number(args.NewExternalPort);
        if (args.NewProtocol !== 'TCP' && args.NewProtocol !== 'UDP') return this.fault(response, 402, 'Invalid Args');
        if (!this.mappings.delete(externalPort)) return this.fault(response, 714, 'NoSuchEntryInArray');
        return this.reply(response, action, '');
      }
      default:
        return this.fault(response, 401, 'Invalid Action');
    }
  }

  private reply(response: ServerResponse, action: string, out: string): void {
    this.send(
      response,
      200,
      `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:${action}Response xmlns:u="${this.serviceType}">${out}</u:${action}Response></s:Body></s:Envelope>`,
    );
  }

  private fault(response: ServerResponse, code: number, description: string): void {
    this.send(
      response,
      500,
      `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>${code}</errorCode><errorDescription>${description}</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>`,
    );
  }

  private send(response: ServerResponse, status: number, xml: string): void {
    response.writeHead(status, { 'Content-Type': 'text/xml; charset="utf-8"', 'Content-Length': Buffer.byteLength(xml) });
    response.end(xml);
  }
}
