// XEP-0202: Entity Time — https://xmpp.org/extensions/xep-0202.html
import { Element } from 'ltx';
import { defineModule } from '../core/module-host.js';
import { NS } from '../util/namespaces.js';
import { iqResult } from '../util/stanza.js';

export default defineModule({
  name: 'time',
  setup(mod) {
    mod.addFeature(NS.time);
    mod.hook(`iq-get/host/${NS.time}:time`, ({ stanza, reply }) => {
      const now = new Date();
      const time = new Element('time', { xmlns: NS.time });
      time.c('tzo').t(timezoneOffset(now));
      time.c('utc').t(now.toISOString().replace(/\.\d{3}Z$/, 'Z'));
      reply(iqResult(stanza, time));
      return true;
    });
  },
});

/** The server's UTC offset as XEP-0082 wants it: "+01:00", "-05:30", "Z" is not used here. */
export function timezoneOffset(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '-';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
