// What a scenario hands back: named figures for the table, and its costs and notes for the JSON.
import type { PhaseCost } from './context.js';

export interface ScenarioResult {
  /** Figure key (see bench/report.ts) -> value. */
  figures: Record<string, number>;
  /** Cost of each measured phase, by name. */
  phases: Record<string, PhaseCost>;
  /** Anything worth keeping that is not a figure: first errors, lost keys. */
  notes: string[];
}

export function emptyResult(): ScenarioResult {
  return { figures: {}, phases: {}, notes: [] };
}
