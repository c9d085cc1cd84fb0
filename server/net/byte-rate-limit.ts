// A token bucket for incoming bytes (issue 11: bytes/second per connection). A connection may
// burst up to `burstBytes`, then is held to `bytesPerSecond`: the transport stops reading from
// the socket for as long as the bucket is in debt, so TCP flow control slows the sender down and
// nothing is buffered on our side.
export class ByteRateLimit {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly burstBytes: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burstBytes;
    this.updatedAt = now();
  }

  /** Takes `bytes` from the bucket; returns how many milliseconds to stop reading (0: go on). */
  take(bytes: number): number {
    const now = this.now();
    this.tokens = Math.min(this.burstBytes, this.tokens + ((now - this.updatedAt) * this.bytesPerSecond) / 1000);
    this.updatedAt = now;
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.bytesPerSecond);
  }
}
