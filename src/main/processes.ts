/** Helpers for the child processes `ocr dev` owns: free ports, stale pid files, waiting for exit. */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
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
