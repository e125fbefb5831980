import { setTimeout as sleep } from "node:timers/promises";
import type { Clock } from "../lambdas/core/ports.js";

/** A clock that runs with real time and can be moved ahead: days pass in one call. */
export interface JumpClock extends Clock {
  /** Moves the clock `ms` ahead (never back). */
  advance(ms: number): void;
  /** How far ahead of real time it is. */
  offset(): number;
}

/**
 * The compressed clock of a local stack (LocalStackOptions.clock): the responder, the sender and
 * the Scheduler stand-in read it, so a reply 60 days away is scheduled, fired and sent within
 * seconds once a test moves the clock to just before its schedule. Sleeps are real: SQS delays
 * (fauxqs) run on real time, so a test moves the clock only across the waits the scheduler holds.
 */
export function jumpClock(): JumpClock {
  let ahead = 0;
  return {
    now: () => Date.now() + ahead,
    sleep: (ms) => sleep(ms),
    advance: (ms) => {
      if (!(ms >= 0)) throw new RangeError(`a jump clock moves ahead only, got ${ms} ms`);
      ahead += ms;
    },
    offset: () => ahead,
  };
}
