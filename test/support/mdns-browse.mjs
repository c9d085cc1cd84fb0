// Browses for DNS-SD service types with bonjour-service and prints each service that appears or
// goes as one JSON line: {"event":"up"|"down","type","name","host","port","txt"}. Run inside a
// test's network namespace (test/support/netns.ts); stops on SIGTERM.
import { Bonjour } from 'bonjour-service';

const bonjour = new Bonjour();
for (const type of process.argv.slice(2)) {
  const browser = bonjour.find({ type });
  const report = (event) => (service) =>
    process.stdout.write(`${JSON.stringify({ event, type, name: service.name, host: service.host, port: service.port, txt: service.txt })}\n`);
  browser.on('up', report('up'));
  browser.on('down', report('down'));
}
process.stdout.write(`${JSON.stringify({ event: 'browsing' })}\n`);
process.on('SIGTERM', () => bonjour.destroy(() => process.exit(0)));
