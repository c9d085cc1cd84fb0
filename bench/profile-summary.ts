// The hottest functions of a V8 CPU profile (node --cpu-prof writes .cpuprofile JSON): self time
// per function, so a report can say where Hearth spends its CPU without opening a flame graph.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  name: string;
  /** Where it is: file (shortened) and 1-based line. */
  location: string;
  selfMs: number;
  /** Share of all sampled time, 0-100. */
  percent: number;
}

/** Functions by self time, highest first; idle and GC entries included, as they are part of the story. */
export function hotFunctions(profile: CpuProfile, limit = 20): HotFunction[] {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<string, { name: string; location: string; micros: number }>();
  let total = 0;
  profile.samples.forEach((nodeId, i) => {
    // timeDeltas[i] is the time since the previous sample: it belongs to this sample.
    const micros = profile.timeDeltas[i] ?? 0;
    total += micros;
    const frame = byNode.get(nodeId)?.callFrame;
    if (!frame) return;
    const name = frame.functionName || '(anonymous)';
    const location = frame.url ? `${shorten(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${name}\0${location}`;
    const entry = selfMicros.get(key) ?? { name, location, micros: 0 };
    entry.micros += micros;
    selfMicros.set(key, entry);
  });
  return [...selfMicros.values()]
    .sort((a, b) => b.micros - a.micros)
    .slice(0, limit)
    .map((entry) => ({ name: entry.name, location: entry.location, selfMs: entry.micros / 1000, percent: total ? (entry.micros / total) * 100 : 0 }));
}

/** file:///…/node_modules/ltx/lib/x.js -> ltx/lib/x.js; …/dist-bench/server/a.js -> server/a.js. */
function shorten(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules !== -1) return path.slice(modules + '/node_modules/'.length);
  const own = /\/(server|bench|test)\/.*$/.exec(path);
  return own ? own[0].slice(1) : path;
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

export function formatHotFunctions(functions: HotFunction[]): string {
  return functions.map((f) => `${f.percent.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}  ${f.location}`).join('\n');
}
