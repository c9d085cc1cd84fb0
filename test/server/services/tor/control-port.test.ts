// The control-port client against a stand-in tor on loopback that speaks the protocol's replies
// (control-spec §2.3, §3.5): data replies, asynchronous events, refusals, both cookie methods.
import { createHmac } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplyParser, TorControl, type ControlReply } from '../../../../server/services/tor/control-port.js';

const cookie = Buffer.alloc(32, 7);
let server: Server | undefined;
const controls: TorControl[] = [];
afterEach(async () => {
  for (const control of controls.splice(0)) control.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A stand-in control port: `answer` gets each command line and the socket to answer on. */
async function fakeTor(answer: (line: string, socket: Socket) => void): Promise<number> {
  server = createServer((socket) => {
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      let end: number;
      while ((end = buffer.indexOf('\r\n')) !== -1) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        answer(line, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  return (server!.address() as { port: number }).port;
}

async function connectTo(port: number): Promise<TorControl> {
  const control = await TorControl.connect(port);
  controls.push(control);
  return control;
}

describe('the control reply parser', () => {
  it('gathers mid lines, data lines (with dots unescaped) and the end line into one reply', () => {
    const replies: ControlReply[] = [];
    const parser = new ReplyParser((reply) => replies.push(reply));
    parser.push('250-version=0.4.9\r\n250+config-text=\r\nSocksPort auto\r\n..hidden\r\n.\r\n25');
    parser.push('0 OK\r\n650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=5\r\n');
    expect(replies).toEqual([
      {
        status: 250,
        lines: [
          { status: 250, text: 'version=0.4.9' },
          { status: 250, text: 'config-text=', data: 'SocksPort auto\n.hidden' },
          { status: 250, text: 'OK' },
        ],
      },
      { status: 650, lines: [{ status: 650, text: 'STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=5' }] },
    ]);
  });
});

describe('the control-port client', () => {
  it('authenticates with SAFECOOKIE and checks that tor knows the cookie', async () => {
    const seen: string[] = [];
    const port = await fakeTor((line, socket) => {
      seen.push(line.split(' ')[0]!);
      if (line === 'PROTOCOLINFO 1') {
        socket.write('250-PROTOCOLINFO 1\r\n250-AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE="/x/control_auth_cookie"\r\n250-VERSION Tor="0.4.9.11"\r\n250 OK\r\n');
      } else if (line.startsWith('AUTHCHALLENGE SAFECOOKIE ')) {
        const clientNonce = Buffer.from(line.split(' ')[2]!, 'hex');
        const serverNonce = Buffer.alloc(32, 9);
        const message = Buffer.concat([cookie, clientNonce, serverNonce]);
        const hash = createHmac('sha256', 'Tor safe cookie authentication server-to-controller hash').update(message).digest('hex');
        (socket as Socket & { expected?: string }).expected = createHmac('sha256', 'Tor safe cookie authentication controller-to-server hash').update(message).digest('hex');
        socket.write(`250 AUTHCHALLENGE SERVERHASH=${hash} SERVERNONCE=${serverNonce.toString('hex')}\r\n`);
      } else if (line.startsWith('AUTHENTICATE ')) {
        const ok = line.split(' ')[1] === (socket as Socket & { expected?: string }).expected;
        socket.write(ok ? '250 OK\r\n' : '515 Authentication failed: Wrong length on authentication cookie.\r\n');
      }
    });
    const control = await connectTo(port);
    await control.authenticate(cookie);
    expect(seen).toEqual(['PROTOCOLINFO', 'AUTHCHALLENGE', 'AUTHENTICATE']);
  });

  it('refuses a control port that cannot prove it knows the cookie', async () => {
    const port = await fakeTor((line, socket) => {
      if (line === 'PROTOCOLINFO 1') socket.write('250-AUTH METHODS=SAFECOOKIE\r\n250 OK\r\n');
      else if (line.startsWith('AUTHCHALLENGE')) socket.write(`250 AUTHCHALLENGE SERVERHASH=${'00'.repeat(32)} SERVERNONCE=${'11'.repeat(32)}\r\n`);
      else socket.write('250 OK\r\n');
    });
    const control = await connectTo(port);
    await expect(control.authenticate(cookie)).rejects.toThrow('the control port did not prove it knows the cookie: it is not our tor');
  });

  it('sends the cookie itself when tor offers only COOKIE', async () => {
    let sent = '';
    const port = await fakeTor((line, socket) => {
      if (line === 'PROTOCOLINFO 1') socket.write('250-AUTH METHODS=COOKIE\r\n250 OK\r\n');
      else {
        sent = line;
        socket.write('250 OK\r\n');
      }
    });
    await (await connectTo(port)).authenticate(cookie);
    expect(sent).toBe(`AUTHENTICATE ${cookie.toString('hex')}`);
  });

  it('answers GETINFO by key, passes events to listeners, and reports a refusal', async () => {
    const port = await fakeTor((line, socket) => {
      if (line === 'GETINFO status/bootstrap-phase net/listeners/socks') {
        // An event may arrive before the answer; it must not be taken for it.
        socket.write('650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=10 TAG=conn_done SUMMARY="Connected to a relay"\r\n');
        socket.write('250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay"\r\n250-net/listeners/socks="127.0.0.1:9050"\r\n250 OK\r\n');
      } else if (line === 'SIGNAL BOGUS') socket.write('552 Unrecognized signal code "BOGUS"\r\n');
      else socket.write('250 OK\r\n');
    });
    const control = await connectTo(port);
    const events: string[] = [];
    control.onEvent((reply) => events.push(reply.lines[0]!.text));

    expect(await control.getInfo('status/bootstrap-phase', 'net/listeners/socks')).toEqual({
      'status/bootstrap-phase': 'NOTICE BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay"',
      'net/listeners/socks': '"127.0.0.1:9050"',
    });
    expect(events).toEqual(['STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=10 TAG=conn_done SUMMARY="Connected to a relay"']);
    await expect(control.command('SIGNAL BOGUS')).rejects.toThrow('tor refused SIGNAL: 552 Unrecognized signal code "BOGUS"');
    await expect(control.command('GETINFO a\r\nSIGNAL HALT')).rejects.toThrow('a control command is one line');
  });

  it('fails what is waiting when the connection closes', async () => {
    const port = await fakeTor((_line, socket) => socket.destroy());
    const control = await connectTo(port);
    let closed = false;
    control.onClose(() => (closed = true));
    await expect(control.getInfo('version')).rejects.toThrow('the connection to tor closed');
    expect(closed).toBe(true);
    expect(control.closed).toBe(true);
  });
});
