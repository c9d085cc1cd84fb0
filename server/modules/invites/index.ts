// Invitations: how a family joins a server that is closed to strangers.
// - XEP-0445 pre-authenticated in-band registration with the invitation's token (token-registration.ts);
// - XEP-0379 pre-authenticated roster subscription for contact invitations (roster-preauth.ts);
// - XEP-0401 ad-hoc commands for apps to make invitations (commands.ts);
// - the landing page /invite/<token> over HTTPS with its web registration (landing-routes.ts).
// Invitations are made here, in the admin UI and with `hearth invite create`; all are kept in
// storage.invites. Accepting one counts a use, puts the new person in the invitation's circles and
// makes them and the inviter mutual contacts (redeem.ts). Expired invitations go once a day.
import { defineModule } from '../../core/module-host.js';
import { isLoopbackBind } from '../../net/lan.js';
import { offerInvitationCommands } from './commands.js';
import { serveLandingPages } from './landing-routes.js';
import { acceptPreauthenticatedSubscriptions } from './roster-preauth.js';
import { acceptTokenRegistration } from './token-registration.js';

export default defineModule({
  name: 'invites',
  setup(mod) {
    let c2sPort = mod.config.ports.c2s;
    mod.hook('server-started', ({ listeners }) => {
      c2sPort = listeners?.find((l) => l.name === 'c2s')?.port ?? c2sPort;
      return undefined;
    });

    acceptTokenRegistration(mod);
    acceptPreauthenticatedSubscriptions(mod);
    offerInvitationCommands(mod, () => mod.config.invites.expiryDays);
    serveLandingPages({ mod, c2sPort: () => c2sPort, announcesLanName: mod.config.mdns.enabled && !isLoopbackBind(mod.config.bind) });

    mod.daily('expire', () => {
      const removed = mod.storage.invites.deleteExpired();
      if (removed > 0) mod.log.info(`removed ${removed} expired invitations`);
    });
  },
});
