/**
 * The `time` of every pino line of a process's output (the API logs one JSON object per line): how long a process
 * took between two of its own lines, without Node's start-up, which is slow on a loaded machine.
 */
export function logTimes(output: string): number[] {
  return output.split('\n').flatMap((line) => {
    try {
      const time = (JSON.parse(line) as { time?: unknown }).time;
      return typeof time === 'number' ? [time] : [];
    } catch {
      return [];
    }
  });
}
