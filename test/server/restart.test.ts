// A stanza the server acknowledged must survive the process being killed outright.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, serve, writeTestConfigFile } from '../support/cli.js';
import { connectClient, nextStanza, stopQuietly, xml } from '../support/server.js';

let dir: string;
let configFile: string;
const password = 'a good password';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-restart-'));
  configFile = writeTestConfigFile(dir);
  for (const name of ['alice', 'bob']) await runCli(['user', 'add', name, '--config', configFile], { input: `${password}\n` });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('keeps offline messages when the server is killed with SIGKILL', async () => {
  const first = await serve(['--config', configFile]);
  const bob = connectClient(first.ports.c2s!, 'bob', { password });
  await bob.start();
  for (let i = 1; i <= 3; i++) await bob.send(xml('message', { to: 'alice@localhost', type: 'chat', id: `m${i}` }, xml('body', {}, `message ${i}`)));
  // Stanzas are handled in order: once the ping is answered, the messages before it are stored.
  await bob.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  first.child.kill('SIGKILL');
  await first.exited;
  await stopQuietly(bob);

  const second = await serve(['--config', configFile]);
  try {
    const alice = connectClient(second.ports.c2s!, 'alice', { password });
    const received: string[] = [];
    const allThree = new Promise<void>((resolve) => {
      alice.on('stanza', (stanza) => {
        if (stanza.name === 'message') received.push(stanza.getChildText('body') ?? '');
        if (received.length === 3) resolve();
      });
    });
    await alice.start();
    await alice.send(xml('presence'));
    await Promise.race([allThree, nextStanza(alice, () => false, 5000).catch(() => undefined)]);
    expect(received).toEqual(['message 1', 'message 2', 'message 3']);
    await stopQuietly(alice);
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
});
