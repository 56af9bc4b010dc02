/**
 * Milliseconds on CLOCK_MONOTONIC (process.hrtime), to sub-microsecond precision. On Linux it is one clock for every
 * process of the machine, so a time taken in one process (a write sent) can be compared with one taken in another
 * (its event read by a client process); performance.now() counts from each process's own start and cannot.
 */
export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
