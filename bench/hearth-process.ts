// Hearth for the benchmark, in a process of its own so its memory and CPU time can be read from
// /proc like Prosody's: `node hearth-process.js CONFIG_FILE`. It is `hearth serve` without the
// restart loop, and it prints one line, "ready {ports}", once it listens (ports are ephemeral).
// SIGTERM stops it cleanly, which also lets `node --cpu-prof` write its profile.
import { loadConfig } from '../server/config/load.js';
import { startServer } from '../server/main.js';
import { createLogger } from '../server/util/log.js';

const configFile = process.argv[2];
if (!configFile) {
  process.stderr.write('usage: node hearth-process.js CONFIG_FILE\n');
  process.exit(2);
}
const loaded = loadConfig({ file: configFile });
if (!loaded.ok) {
  process.stderr.write(`bad configuration: ${loaded.errors.join('; ')}\n`);
  process.exit(2);
}
const server = await startServer(loaded.config, { log: createLogger(loaded.config.log.level), configFile, uiDir: null });
const ports = Object.fromEntries(server.listeners.map((listener) => [listener.name, listener.port]));
process.stdout.write(`ready ${JSON.stringify(ports)}\n`);

process.once('SIGTERM', () => {
  void server.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`stopping failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
});
