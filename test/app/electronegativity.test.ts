// Electron's security settings in app/, checked by Doyensec's electronegativity, a static
// analyser of Electron apps (https://github.com/doyensec/electronegativity): every finding fails
// the test unless it is listed below as reviewed, with the reason. It runs offline: it tries to
// fetch translations (falling back to English after 1 s) and, in one check we skip, Electron's
// release list.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../server/control/http-api.js';
import { runCommand } from '../support/run-command.js';

const root = join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);

/** Checks not run, by class name (electronegativity's -x takes those). */
const skippedChecks: Record<string, string> = {
  AvailableSecurityFixesGlobalCheck:
    "downloads Electron's release list from GitHub, which CI cannot reach; Electron's version is pinned in package.json and updated through npm",
};

/** Findings that were read and are fine as they are, by check id and file. */
const reviewed: Array<{ check: string; file: string; reason: string }> = [
  {
    check: 'PRELOAD_JS_CHECK',
    file: 'windows.ts',
    reason: 'reported for every preload: ours (app/preload.cts) exposes only the typed AdminApi through contextBridge, no Node or Electron objects',
  },
  {
    check: 'OPEN_EXTERNAL_JS_CHECK',
    file: 'windows.ts',
    reason: 'only https: links reach shell.openExternal (isExternalLink, tested in test/app/windows.test.ts)',
  },
  {
    check: 'CSP_GLOBAL_CHECK',
    file: 'windows.ts',
    reason: 'the header is the imported constant contentSecurityPolicy, which the check cannot read ("Failed to parse CSP"); the test below evaluates that constant itself',
  },
];

interface SarifResult {
  ruleId: string;
  message: { text: string };
  locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }>;
}

it('finds nothing in the Electron app that has not been reviewed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-electronegativity-'));
  try {
    const sarif = join(dir, 'findings.sarif');
    // The installed Electron, so the checks judge defaults (contextIsolation, sandbox) by the right version.
    const electronVersion = (JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')) as { version: string }).version;
    const cli = require.resolve('@doyensec/electronegativity/dist/index.js');
    const { output } = await runCommand(
      process.execPath,
      [cli, '--input', join(root, 'app'), '--output', sarif, '--relative', '--verbose', 'false', '--electron-version', electronVersion, '--exclude-checks', Object.keys(skippedChecks).join(',')],
      { timeoutMs: 60_000, cwd: root },
    );
    let results: SarifResult[];
    try {
      results = (JSON.parse(readFileSync(sarif, 'utf8')) as { runs: Array<{ results: SarifResult[] }> }).runs[0]!.results;
    } catch {
      throw new Error(`electronegativity wrote no results:\n${output}`);
    }
    const unreviewed = results
      .filter((r) => !reviewed.some((known) => known.check === r.ruleId && r.locations.some((l) => l.physicalLocation.artifactLocation.uri === known.file)))
      .map((r) => `${r.ruleId} at ${r.locations.map((l) => `${l.physicalLocation.artifactLocation.uri}:${l.physicalLocation.region.startLine}`).join(', ')}: ${r.message.text}`);
    expect(unreviewed).toEqual([]);
    // It really looked: the window's settings are where it reads them.
    expect(results.some((r) => r.ruleId === 'PRELOAD_JS_CHECK')).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);

it('serves a Content-Security-Policy with no weakness beyond trusting its own origin', () => {
  // electronegativity's own CSP evaluator, on the constant windows.ts and the admin port send.
  const csp = require('@doyensec/csp-evaluator') as {
    CspParser: new (policy: string) => { csp: unknown };
    CspEvaluator: new (csp: unknown, version: unknown) => { evaluate(): Array<{ severity: number; directive: string; description: string }> };
    Version: { CSP3: unknown };
    severities: Record<string, number>;
  };
  const findings = new csp.CspEvaluator(new csp.CspParser(contentSecurityPolicy).csp, csp.Version.CSP3).evaluate();
  // 'self' scripts are only a risk where the origin serves JSONP or uploaded files; the app's
  // scheme and the admin port serve nothing but the built UI.
  const accepted = (f: { severity: number; directive: string }) => f.directive === 'script-src' && f.severity === csp.severities.MEDIUM_MAYBE;
  expect(findings.filter((f) => !accepted(f) && f.severity < csp.severities.INFO!).map((f) => `${f.directive}: ${f.description}`)).toEqual([]);
});
