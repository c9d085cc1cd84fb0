// @xmpp/client ships no type declarations; this covers what the tests use.
declare module '@xmpp/client' {
  import type { Element as LtxElement } from 'ltx';

  export type Element = LtxElement;

  export interface Client {
    jid: { toString(): string; local: string; domain: string; resource: string } | null;
    status: string;
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(...elements: Element[]): Promise<void>;
    on(event: 'stanza', listener: (stanza: Element) => void): this;
    on(event: 'nonza', listener: (element: Element) => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: 'offline' | 'online' | 'disconnect', listener: (...args: unknown[]) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
    off(event: string, listener: (...args: never[]) => void): this;
    iqCaller: {
      request(element: Element, timeout?: number): Promise<Element>;
      get(element: Element, to?: string, timeout?: number): Promise<Element>;
      set(element: Element, to?: string, timeout?: number): Promise<Element>;
    };
    /** Answers iq requests: a handler returns true (empty result), a payload, or an <error/>; unhandled ones get service-unavailable. */
    iqCallee: {
      get(ns: string, name: string, handler: (context: { stanza: Element; element: Element }) => unknown): void;
      set(ns: string, name: string, handler: (context: { stanza: Element; element: Element }) => unknown): void;
    };
    saslFactory: { use(name: string, mechanism: unknown): void };
    /** XEP-0198 as the client runs it: 'ack' fires for each stanza the server acknowledged. */
    streamManagement: {
      enabled: boolean;
      /** Milliseconds after the last stanza sent before the client asks for an ack. */
      requestAckDebounce: number;
      on(event: 'ack' | 'fail', listener: (stanza: Element) => void): void;
    };
    reconnect: { stop(): void };
  }

  export function client(options: Record<string, unknown>): Client;
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: Array<Element | string>): Element;
}
