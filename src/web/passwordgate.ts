// Password work (argon2id verify and hash: ~64 MiB and ~140 ms each) is bounded server-wide: a few
// run at once, a few more wait their turn, and a request beyond that is told the server is busy
// (503) instead of joining an unbounded queue whose memory and wait grow with every attempt.
// Entering is synchronous, so a route decides "busy" before its first await, in the same step as
// it counts the attempt against its rate limit.
import { hashPassword } from "../blog/authors.ts";

/** The two things password work does; tests replace them to count or pace verifications. */
export interface Argon {
  verify(password: string, hash: string): Promise<boolean>;
  hash(password: string): Promise<string>;
}

export interface PasswordGateOptions {
  /** Verifications or hashes running at once (each holds ~64 MiB while it runs). */
  permits: number;
  /** Requests allowed to wait for a permit; one more is refused. */
  maxWaiting: number;
  argon?: Argon;
}

/** 2 at once on a 2-core server: 128 MiB at most, and sign-in never starves the readers' thread of CPU for long. */
export const PASSWORD_PERMITS = 2;
/** Waiting in line: at worst 8 turns of ~140 ms for 2 permits, about half a second. */
export const PASSWORD_MAX_WAITING = 8;
/** What a refused request is told to wait, in seconds. */
export const PASSWORD_BUSY_RETRY_S = 5;

const bunArgon: Argon = {
  // Looked up on each call, so a spy on Bun.password sees it.
  verify: (password, hash) => Bun.password.verify(password, hash),
  hash: (password) => hashPassword(password),
};

export class PasswordGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** Requests refused because the line was full. */
  refused = 0;

  constructor(
    private readonly options: PasswordGateOptions = { permits: PASSWORD_PERMITS, maxWaiting: PASSWORD_MAX_WAITING },
  ) {}

  get argon(): Argon {
    return this.options.argon ?? bunArgon;
  }

  /** Whether a request entering now would be let in (run or wait). */
  get hasRoom(): boolean {
    return this.running + this.waiting.length < this.options.permits + this.options.maxWaiting;
  }

  /** Work running now (at most `permits`). */
  get inFlight(): number {
    return this.running;
  }

  /**
   * Runs `work` once a permit is free, and returns its promise; null when the line is full (the
   * caller answers 503). The permit is held for all of `work`, e.g. a verify and then a hash.
   */
  tryRun<T>(work: (argon: Argon) => Promise<T>): Promise<T> | null {
    if (!this.hasRoom) {
      this.refused++;
      return null;
    }
    return this.turn().then(async () => {
      try {
        return await work(this.argon);
      } finally {
        this.leave();
      }
    });
  }

  private turn(): Promise<void> {
    if (this.running < this.options.permits) {
      this.running++;
      return Promise.resolve();
    }
    // The permit passes straight from the one leaving to the one waiting (running stays the same).
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
