/** What every benchmark needs: the machine's description, and `ocr` processes launched as deployed. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** USER_HZ: the unit of /proc/<pid>/stat times, 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;

export const root = fileURLToPath(new URL('..', import.meta.url));

export const machine = `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;

/** A memory figure of a live process's /proc status (in kB there), in MB. */
async function statusMb(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024);
}

/** Peak resident set size of a live process (VmHWM), in MB. */
export const peakRssMb = (pid: number) => statusMb(pid, 'VmHWM');

/**
 * Resident set size of a live process now (VmRSS), in MB. VmHWM only ever rises: whether memory is
 * given back after load, or creeps up over an hour, shows in this one.
 */
export const rssMb = (pid: number) => statusMb(pid, 'VmRSS');

/** CPU time (user + system) a live process, or one of its threads, has used so far, in seconds. */
export async function cpuSeconds(pid: number, thread?: number): Promise<number> {
  const stat = await readFile(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is the first, utime the 12th, stime the 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** The memory settings of the Dockerfile and `npm start` (README.md, "Processes"; src/main/cli.ts). */
const DEPLOYED_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' };
const DEPLOYED_NODE_FLAGS = ['--max-semi-space-size=2', '--optimize-for-size'];

/**
 * Starts the compiled `ocr <command>`, launched as the Dockerfile and `npm start` launch it, and
 * resolves once its stdout shows `ready`.
 */
export function startOcrProcess(command: 'api' | 'worker', env: Record<string, string>, ready: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...DEPLOYED_NODE_FLAGS, 'dist/main/cli.js', command], { cwd: root, env: { PATH: process.env.PATH, ...DEPLOYED_ENV, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const watch = (d: Buffer) => {
      out += d.toString();
      if (!out.includes(ready)) return;
      // From here on its log (a line per request) is drained, not kept: searching an ever longer
      // string in the load generator's own event loop would slow the measurement itself.
      child.stdout.off('data', watch);
      child.stdout.resume();
      resolve(child);
    };
    child.stdout.on('data', watch);
    child.once('exit', (code) => reject(new Error(`ocr ${command} exited with ${code}: ${out}`)));
  });
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}
