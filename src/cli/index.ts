/**
 * `ocr submit|status|result|cancel|retry|list|mcp`: the client half of the `ocr` command, which talks to
 * a running server over HTTP and WebSocket and needs none of its configuration. Arguments are
 * parsed by commander; every failure ends as one line on standard error and an exit code of
 * exit-codes.ts.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { TASK_STATUSES } from '../contract/index.js';
import { ApiError, EXPORT_FORMATS } from './api-client.js';
import { cancelCommand, listCommand, resultCommand, retryCommand, statusCommand, type ListFlags } from './commands.js';
import { CliError, EXIT, EXIT_CODES_HELP, type ExitCode } from './exit-codes.js';
import { DEFAULT_PASSWORD, DEFAULT_SERVER } from './settings.js';
import { submitCommand, type SubmitFlags } from './submit.js';
import { mcpCommand } from '../mcp/stdio.js';

const SERVER_COMMANDS_HELP = `Server commands (they read the server's configuration, see README):
  dev                  everything on one machine (embedded Postgres and Temporal unless configured)
  api | worker         the HTTP API, or the Temporal worker, alone
  migrate              apply database migrations and exit
  webhook-secret       print a fresh WEBHOOK_SECRET
  retention run        delete expired tasks and unused files now, print what went`;

const SETTINGS_HELP = `Server and password: --server / --password, else OCR_SERVER / OCR_PASSWORD from the
environment or from .env in the current directory, else ${DEFAULT_SERVER} and "${DEFAULT_PASSWORD}".`;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number from 1');
  return n;
}

/** --server and --password, on every client command. */
const withServer = (command: Command) => command
  .option('--server <url>', `the ocr server (OCR_SERVER; default ${DEFAULT_SERVER})`)
  .option('--password <password>', `its PASSWORD (OCR_PASSWORD; default "${DEFAULT_PASSWORD}", "" for none)`);

function buildProgram(done: (code: ExitCode) => void): Command {
  const program = new Command('ocr')
    .description('OCR images and PDFs to Markdown with a running ocr server.')
    .usage('<command> [options]')
    .showHelpAfterError('(ocr <command> --help for its options)')
    .addHelpText('after', `\n${SERVER_COMMANDS_HELP}\n\n${SETTINGS_HELP}\n\n${EXIT_CODES_HELP}\n`)
    .exitOverride();
  const run = (work: Promise<ExitCode>) => work.then(done);

  withServer(program.command('submit').argument('<paths...>', 'files, directories (searched for PDFs and images) or globs'))
    .description('upload files, follow them with live progress, and save each result in --out')
    .option('--pages <ranges>', 'only these pages of each PDF, e.g. 1-3,5')
    .option('--model <model>', 'one of the server\'s MODELS')
    .option('--prompt <text>', 'instructions added to the system prompt')
    .option('--out <dir>', 'where the results go (report.pdf → DIR/report.md)', '.')
    .addOption(new Option('--format <format>', 'result format').choices(EXPORT_FORMATS).default('md'))
    .option('--no-wait', 'submit, print the task ids and exit')
    .option('--concurrency <n>', 'uploads at a time', positiveInt, 2)
    .addHelpText('after', `\nOn a terminal one progress bar per file; otherwise one line per event.\nCtrl-C asks whether to cancel the tasks on the server (without a terminal: leaves them, prints their ids).\n\n${EXIT_CODES_HELP}\n`)
    .action((paths: string[], flags: SubmitFlags) => run(submitCommand(paths, flags)));

  withServer(program.command('status').argument('[ids...]', 'task ids (default: the tasks still running)'))
    .description('show tasks: status, pages, tokens, cost, time')
    .option('--json', 'print the tasks as JSON')
    .action((ids: string[], flags: ListFlags) => run(statusCommand(ids, flags)));

  withServer(program.command('result').argument('<id>', 'task id'))
    .description('download a finished task\'s result (to standard output without --out)')
    .addOption(new Option('--format <format>', 'result format').choices(EXPORT_FORMATS).default('md'))
    .option('--out <file>', 'write it to this file')
    .action((id: string, flags: Parameters<typeof resultCommand>[1]) => run(resultCommand(id, flags)));

  withServer(program.command('cancel').argument('<ids...>', 'task ids'))
    .description('cancel running tasks (pages already done are kept)')
    .action((ids: string[], flags: ListFlags) => run(cancelCommand(ids, flags)));

  withServer(program.command('retry').argument('<ids...>', 'task ids'))
    .description('run the failed pages of partial or failed tasks again')
    .action((ids: string[], flags: ListFlags) => run(retryCommand(ids, flags)));

  withServer(program.command('list'))
    .description('list tasks, newest first')
    .addOption(new Option('--status <status>', 'only tasks with this status').choices(TASK_STATUSES))
    .option('--limit <n>', 'at most this many', positiveInt, 20)
    .option('--json', 'print the tasks as JSON')
    .action((flags: ListFlags) => run(listCommand(flags)));

  withServer(program.command('mcp'))
    .description('the MCP server over stdio, for agents that launch a command (it reads files by their path here)')
    .action((flags: ListFlags) => run(mcpCommand(flags)));

  return program;
}

/** One line for the user, and the exit code it stands for. */
function report(err: unknown): ExitCode {
  if (err instanceof CliError) {
    process.stderr.write(`ocr: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof ApiError) {
    process.stderr.write(`ocr: the server refused: ${err.message}\n`);
    return EXIT.failed;
  }
  process.stderr.write(`ocr: ${(err as Error).stack ?? String(err)}\n`);
  return EXIT.failed;
}

/** Runs one client command (`argv` without node and the script) and returns its exit code. */
export async function runCli(argv: string[]): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  const program = buildProgram((c) => { code = c; });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    // Commander has printed its own message (or the help, which is no error).
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return report(err);
  }
}
