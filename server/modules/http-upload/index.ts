// XEP-0363: HTTP File Upload — https://xmpp.org/extensions/xep-0363.html
// The upload service at upload.<domain>: an app asks it for a slot (§4), gets a PUT URL to send
// the photo to and a GET URL to put in the message, and the people in the chat download it over
// HTTPS from Hearth. Files stay upload.retentionDays days (30 by default), then they are deleted.
//
// Only this server's accounts may upload: the files take the family's disk. Each account may
// upload upload.userDailyQuotaBytes in 24 hours, all uploads together upload.totalQuotaBytes.
// The limits are read at every request, so the Storage page (control/storage.ts) changes them
// at once.
//
// Files: modules/http-upload/file-store.ts; HTTP: http-routes.ts; expiry: retention.ts.
import { Element } from 'ltx';
import type { IqEvent, UploadPurgeResult } from '../../core/events.js';
import { defineModule, type ModuleApi } from '../../core/module-host.js';
import { dataForm } from '../../util/dataforms.js';
import { StanzaError } from '../../util/errors.js';
import { NS } from '../../util/namespaces.js';
import { errorReply, iqResult } from '../../util/stanza.js';
import { newSlotId, UploadFileStore } from './file-store.js';
import { handleUploadRequest, uploadPathPrefix } from './http-routes.js';
import { checkQuotas } from './quota.js';
import { UploadCleaner } from './retention.js';
import { readSlotRequest, uploadNs } from './slot-request.js';

export { uploadNs } from './slot-request.js';

/** How long a slot waits for its upload to start (§4 leaves it to the service). */
export const slotLifetimeMs = 5 * 60 * 1000;
/**
 * How often expired files and unused slots are looked for. Hourly rather than mod.daily: a file
 * goes within an hour of its 30 days, and the schedule follows mod.clock, so tests move it.
 */
const sweepIntervalMs = 60 * 60 * 1000;

export function uploadHost(domain: string): string {
  return `upload.${domain}`;
}

export default defineModule({
  name: 'http-upload',
  setup(mod) {
    const limits = mod.config.upload;
    const files = new UploadFileStore(mod.config.dataDir);
    const busy = new Set<string>();
    const cleaner = new UploadCleaner(mod.storage.uploads, files, busy);

    // Whether or not the service is on, stored files keep expiring, deleted accounts lose
    // theirs, and the Storage page can delete them.
    const recovered = cleaner.recover();
    if (recovered.temporary + recovered.orphans + recovered.strays > 0) {
      mod.log.info(
        `cleaned up uploads at start: ${recovered.temporary} unfinished, ${recovered.orphans} of deleted accounts, ${recovered.strays} never recorded`,
      );
    }
    const sweep = (): UploadPurgeResult => {
      const now = mod.clock.now();
      cleaner.dropUnusedSlots(slotLifetimeMs, now);
      const expired = cleaner.expire(limits.retentionDays, now);
      if (expired.files > 0) mod.log.info(`deleted ${expired.files} uploaded files older than ${limits.retentionDays} days`);
      return expired;
    };
    const runSweep = () => {
      try {
        sweep();
      } catch (error) {
        mod.log.error('expiring uploads failed', error);
      }
    };
    runSweep();
    mod.onStop(mod.clock.every(sweepIntervalMs, runSweep));

    mod.hook('user-deleted', ({ username }) => {
      const deleted = cleaner.deleteOwner(username);
      if (deleted.files > 0) mod.log.info(`deleted the ${deleted.files} uploaded files of a deleted account`);
      return undefined;
    });

    mod.hook('upload/purge', ({ everything }): UploadPurgeResult => {
      if (!everything) return sweep();
      const deleted = cleaner.deleteAll();
      mod.log.info(`deleted all ${deleted.files} uploaded files, as asked from the admin UI`);
      return deleted;
    });

    if (!limits.enabled) return;
    serveUploads(mod, files, busy);
  },
});

function serveUploads(mod: ModuleApi, files: UploadFileStore, busy: Set<string>): void {
  const limits = mod.config.upload;
  const host = uploadHost(mod.host);
  mod.addComponent(host);
  mod.addItem({ jid: host, name: 'File upload' });
  mod.addIdentity({ category: 'store', type: 'file', name: 'File upload' }, host);
  mod.addFeature(uploadNs, host);
  // §3: the largest file, in a form of the service's disco#info. Its value follows the limit.
  const form = dataForm('result', uploadNs, [{ var: 'max-file-size', values: [String(limits.maxFileSizeBytes)] }]);
  mod.addExtension(form, host);
  const maxFileSizeValue = form.getChildren('field').find((field) => field.attrs.var === 'max-file-size')!.getChild('value')!;
  mod.hook(
    `iq-get/component/${NS.discoInfo}:query`,
    ({ to }) => {
      if (to.domain === host) maxFileSizeValue.children = [String(limits.maxFileSizeBytes)];
      // The disco module answers.
      return undefined;
    },
    10,
  );

  const forUs = ({ to }: IqEvent) => to.domain === host && to.local === undefined && to.resource === undefined;

  mod.hook(`iq-get/component/${uploadNs}:request`, (event) => {
    if (!forUs(event)) return undefined;
    const { stanza, from, payload, reply } = event;
    const answer = (error: StanzaError, detail?: Element) => {
      const refusal = errorReply(stanza, error);
      if (detail) refusal.getChild('error')!.cnode(detail);
      reply(refusal);
      return true;
    };
    // Remote users' own servers offer them uploads; this disk is for the family.
    const owner = from.domain === mod.host ? from.local : undefined;
    if (owner === undefined || !mod.storage.accounts.exists(owner)) {
      return answer(new StanzaError('forbidden', 'this upload service is for accounts of this server only'));
    }

    const checked = readSlotRequest(payload, limits.maxFileSizeBytes);
    if (!checked.ok) return answer(checked.error, checked.detail);
    const { filename, size, contentType } = checked.request;

    const now = mod.clock.now();
    const refusal = checkQuotas(mod.storage.uploads, { owner, size }, limits, now, slotLifetimeMs);
    if (refusal) {
      const retry = refusal.retryAt !== undefined ? new Element('retry', { xmlns: uploadNs, stamp: new Date(refusal.retryAt).toISOString() }) : undefined;
      return answer(refusal.error, retry);
    }

    const id = newSlotId();
    mod.storage.uploads.createSlot({ id, owner, filename, size, contentType, requestedAt: now });
    const url = `${mod.http.publicUrl()}${uploadPathPrefix}${id}/${encodeURIComponent(filename)}`;
    const slot = new Element('slot', { xmlns: uploadNs });
    // §4 allows only Authorization, Cookie and Expires as <header/>s; apps send Content-Type themselves.
    slot.c('put', { url });
    slot.c('get', { url });
    reply(iqResult(stanza, slot));
    return true;
  });

  mod.http.route({
    path: uploadPathPrefix,
    // A PUT that is refused (used slot, wrong size) is refused before its bytes come.
    handlesContinue: true,
    handle: (request, response, url) =>
      handleUploadRequest(
        {
          uploads: mod.storage.uploads,
          files,
          now: () => mod.clock.now(),
          slotLifetimeMs,
          retentionDays: () => limits.retentionDays,
          busy,
          log: mod.log,
        },
        request,
        response,
        url,
      ),
  });
}
