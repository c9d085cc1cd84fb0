// Runs an external tool the tests check Hearth with (testssl.sh, electronegativity) and collects
// everything it prints, stdout and stderr together as a person would read it. A tool that hangs
// is killed after `timeoutMs`; its output so far is still returned for the failure message.
import { spawn } from 'node:child_process';

export interface CommandResult {
  code: number | null;
  output: string;
}

export function runCommand(command: string, args: string[], options: { timeoutMs: number; cwd?: string }): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
