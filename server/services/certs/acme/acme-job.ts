// One ACME request as the Certificates page follows it: steps that start, finish or fail, the
// DNS records to create, and how it ended. Every change is pushed (the `certs` event).
import type { AcmeChallengeType, AcmeJob, AcmeStep, DnsRecordToCreate } from '../../../control/contract.js';

export interface JobStart {
  id: number;
  renewal: boolean;
  directoryUrl: string;
  challenge: AcmeChallengeType;
  names: string[];
  startedAt: number;
}

export class AcmeJobProgress {
  private readonly state: AcmeJob;
  readonly controller = new AbortController();

  constructor(
    start: JobStart,
    private readonly now: () => number,
    private readonly changed: () => void,
  ) {
    this.state = { ...start, state: 'running', steps: [] };
  }

  get finished(): boolean {
    return this.state.state !== 'running';
  }

  get id(): number {
    return this.state.id;
  }

  snapshot(): AcmeJob {
    return structuredClone(this.state);
  }

  /** A step starts (or starts again); the ones before it that were active are done. */
  begin(id: string, label: string, detail?: string): void {
    if (this.finished) return;
    let step = this.state.steps.find((s) => s.id === id);
    if (!step) {
      step = { id, label, state: 'active' };
      this.state.steps.push(step);
    }
    step.label = label;
    step.state = 'active';
    if (detail !== undefined) step.detail = detail;
    else delete step.detail;
    this.changed();
  }

  finish(id: string, detail?: string): void {
    const step = this.state.steps.find((s) => s.id === id);
    if (!step || this.finished) return;
    step.state = 'done';
    if (detail !== undefined) step.detail = detail;
    this.changed();
  }

  dnsRecords(records: DnsRecordToCreate[]): void {
    if (this.finished) return;
    this.state.dnsRecords = records.map((record) => ({ ...record }));
    this.changed();
  }

  succeed(): void {
    if (this.finished) return;
    this.state.state = 'succeeded';
    this.state.finishedAt = this.now();
    this.changed();
  }

  fail(error: string): void {
    if (this.finished) return;
    for (const step of this.state.steps) if (step.state === 'active') step.state = 'failed';
    this.state.state = 'failed';
    this.state.error = error;
    this.state.finishedAt = this.now();
    this.changed();
  }

  cancel(): void {
    if (this.finished) return;
    this.controller.abort();
    for (const step of this.state.steps) if (step.state === 'active') step.state = 'failed';
    this.state.state = 'cancelled';
    this.state.error = 'Cancelled: no certificate was installed.';
    this.state.finishedAt = this.now();
    this.changed();
  }
}

export type { AcmeStep };
