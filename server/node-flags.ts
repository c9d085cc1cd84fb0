// The flags every Hearth server process starts with (issue 12: a Raspberry Pi with 1 GB, and
// 1,000 idle connections in as little memory as we can). V8 sizes its heap and Node its thread
// pool when the process starts (v8.setFlagsFromString later changes neither), so whoever starts
// Hearth passes them: bin/hearth (its first lines), build/linux/hearth (the deb's `hearth serve`
// and the systemd unit), scripts/start.mjs (`npm run headless`), the Electron worker
// (app/server-process.ts) and the benchmark (bench/servers/hearth.ts), so that it measures what
// users run. test/server/node-flags.test.ts checks that they all say the same.
//
// Measured with `npm run bench -- --scenarios idle,messages,login --servers hearth` on Node 20
// x64 (figures in the issue 12 report); server CPU time per message and per login did not change
// beyond the noise of a shared machine.

/**
 * V8's own flags. --max-semi-space-size=1: the young generation is two semi-spaces that Node 20
 * lets grow to 16 MiB each during allocation bursts (starting up, a wave of sign-ins) and that
 * then stay resident, 32 MiB of RSS; an XMPP server's live data is small and long-lived
 * (sessions, rosters), so 1 MiB semi-spaces only mean more, shorter scavenges, each copying
 * little. Of 1, 2, 4 and the default 16, 1 gave the smallest RSS at 0, 1,000 and 5,000 sessions
 * (7 MiB less than 2 with no connections, 20 MiB less than 16 with 1,000).
 */
export const serverV8Flags: readonly string[] = ['--max-semi-space-size=1'];

/**
 * For a process Hearth has to itself on plain Node (not Electron's utility process, whose V8
 * platform Electron creates). --v8-pool-size=1: V8's helper threads (concurrent marking and
 * sweeping, background compilation) each get a glibc malloc arena of their own, and TurboFan's
 * compile jobs leave several MiB in them that glibc never gives back; one helper thread instead
 * of one per core saved 4 to 7 MiB at 0 and at 1,000 sessions, at no measurable CPU cost.
 */
export const serverNodeFlags: readonly string[] = [...serverV8Flags, '--v8-pool-size=1'];
