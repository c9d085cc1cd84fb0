// Room archives follow archive.retentionDays like the accounts' archives: old messages expire,
// and with 0 there is no room archive at all (history on entering still works, from memory).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStorage } from '../../../../server/core/storage/index.js';
import { expireRoomArchives, roomArchiveStoreName } from '../../../../server/modules/muc/index.js';
import { startTestServer, stopQuietly, xml } from '../../../support/server.js';
import { freshAccounts, login } from '../../../support/stanzas.js';
import { createRoom, discoInfoNs, freshRoom, groupchat, join, nextGroupchat, roomStanzaId, statusCodes } from './muc-helpers.js';

const day = 24 * 60 * 60 * 1000;

describe('expiry', () => {
  it('deletes room messages older than the retention period and keeps the rest', () => {
    const dir = mkdtempSync(joinPath(tmpdir(), 'hearth-muc-expiry-'));
    const storage = openStorage(dir, { scramIterations: 4096 });
    try {
      const archive = storage.archive(roomArchiveStoreName);
      const now = Date.UTC(2030, 5, 1);
      const room = 'family@conference.example.org';
      archive.append({ owner: room, with: room, withResource: 'Mom', stanza: '<message/>', timestamp: now - 8 * day });
      const kept = archive.append({ owner: room, with: room, withResource: 'Dad', stanza: '<message/>', timestamp: now - 6 * day });
      expect(expireRoomArchives(storage, 7, now)).toBe(1);
      const left = archive.query({ owner: room });
      expect(left.ok && left.items.map((i) => i.id)).toEqual([kept]);
    } finally {
      storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a server that keeps no archive', () => {
  it('gives rooms no archive, and still gives history on entering from memory', async () => {
    const t = await startTestServer({ archive: { retentionDays: 0 } });
    try {
      const [alice, bob] = freshAccounts(t, 'alice', 'bob');
      const a = await login(t, alice);
      const room = freshRoom();
      const created = await createRoom(a, room, 'A');
      expect(statusCodes(created.self)).not.toContain(170);
      const seen = nextGroupchat(a, room, 'not archived');
      await a.send(groupchat(room, 'not archived'));
      // Every message still carries a stanza-id by the room.
      expect(roomStanzaId(await seen, room)).toBeDefined();

      const info = await a.iqCaller.request(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: discoInfoNs })));
      expect(info.getChild('query', discoInfoNs)!.getChildren('feature').map((f) => f.attrs.var)).not.toContain('urn:xmpp:mam:2');
      await expect(a.iqCaller.request(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: 'urn:xmpp:mam:2' })))).rejects.toMatchObject({
        condition: 'service-unavailable',
      });

      const b = await login(t, bob);
      expect((await join(b, room, 'B')).history.map((m) => m.getChildText('body'))).toEqual(['not archived']);
      for (const client of [a, b]) await stopQuietly(client);
    } finally {
      await t.stop();
    }
  });
});
