#!/usr/bin/env -S node --max-semi-space-size=2 --optimize-for-size
/**
 * `ocr <command>`: the one bin. Server commands (dev, api, worker, migrate, retention,
 * webhook-secret) are src/main/server-commands.ts; the client commands (submit, status, result,
 * cancel, retry, list, and mcp, the MCP server over stdio) are src/cli/, which speak HTTP to a
 * running server and read none of its configuration. Each side is imported only when asked for: a client command starts
 * without loading Temporal, mupdf or Postgres.
 *
 * Launch with --max-semi-space-size=2 --optimize-for-size (the shebang, `npm start` and the
 * Dockerfile do); V8 flags hold for every isolate of the process, its worker threads' too, and set at
 * run time they come too late to help:
 * - model calls produce a steady stream of short-lived garbage (base64 pieces, JSON, replies) that
 *   fills V8's young generation, by default up to 3 × 16 MB per isolate. Small semi-spaces only make
 *   scavenges more frequent; npm run bench measured about 60 MB less peak RSS for the worker and
 *   30 MB for the API at the same throughput.
 * - by default V8 lets a heap grow up to four times its live size before a full collection, and
 *   keeps what it grew: over hours of load the worker's heaps (its own, Temporal's workflow thread,
 *   the render threads) crept up by 20 MB with the same live data. Optimising for size grows them
 *   by at most 1.3 times and compacts them more: flat over an hour of `npm run bench -- mixed`,
 *   for 6 % more of one core in the worker (11 % → 17 %).
 */
const CLIENT_COMMANDS = new Set(['submit', 'status', 'result', 'cancel', 'retry', 'list', 'mcp', 'help', '--help', '-h']);

const command = process.argv[2] ?? '';
if (CLIENT_COMMANDS.has(command)) {
  const { runCli } = await import('../cli/index.js');
  process.exit(await runCli(process.argv.slice(2)));
} else {
  const { runServerCommand } = await import('./server-commands.js');
  await runServerCommand(command, process.argv.slice(3));
}
