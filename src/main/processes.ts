/** Helpers for the child processes `ocr dev` owns: free ports, stale pid files, waiting for exit. */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A TCP port free on 127.0.0.1 now: `port` itself (0 = one the system picks). */
function tryPort(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.on('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

export async function freePort(): Promise<number> {
  const port = await tryPort(0);
  if (port === undefined) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}

/**
 * A free port below 32768, outside the system's ephemeral range: Temporal stores its services'
 * membership ports as a Postgres smallint, which a port picked by the system may overflow.
 */
export async function freeLowPort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await tryPort(10_000 + Math.floor(Math.random() * 22_000));
    if (port !== undefined) return port;
  }
  throw new Error('no free TCP port between 10000 and 32000 on 127.0.0.1');
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function commandLine(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ');
}

/**
 * A process of ours left running by a hard kill (kill -9 of `ocr dev` orphans its children) holds
 * the data directory and ports. If the pid in `pidFile` is alive and its command line contains
 * `marker`, stop it and wait for it to exit.
 */
export async function stopStaleProcess(pidFile: string, marker: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<boolean> {
  const text = await readFile(pidFile, 'utf8').catch(() => '');
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 1 || !isAlive(pid) || !(await commandLine(pid)).includes(marker)) return false;
  process.kill(pid, signal);
  for (let i = 0; i < 300 && isAlive(pid); i++) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  return true;
}
