import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where --cpu-prof puts the profiles of the server processes (one .cpuprofile per process, written at exit). */
export const PROFILE_DIR = fileURLToPath(new URL('../../../bench/results/profiles', import.meta.url));

/** The Node arguments of a server process under test: a CPU profile into PROFILE_DIR with --cpu-prof, else none. */
export function serverNodeArgs(cpuProf: boolean): string[] {
  if (!cpuProf) return [];
  mkdirSync(PROFILE_DIR, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`];
}
