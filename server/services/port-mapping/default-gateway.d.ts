// Types for default-gateway 7 (it ships none): the parts discovery.ts uses.
declare module 'default-gateway' {
  export interface DefaultGateway {
    gateway: string;
    version: number;
    int: string | null;
  }
  export function gateway4async(): Promise<DefaultGateway>;
}
