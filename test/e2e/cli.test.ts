/**
 * The `ocr` client commands as a user runs them: a process of `src/main/cli.ts` (no server
 * configuration in its environment, only OCR_SERVER / OCR_PASSWORD or flags) against a real
 * server, Postgres and Temporal, with only the model a stub. Output is a pipe here, so submit
 * prints one line per event; results are compared byte for byte with the export routes' bodies.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { freePort } from '../../src/main/processes.js';
import { testEnv } from '../helpers/env.js';
import { taggedImage } from '../helpers/images.js';
import { stubMarkdown, type StubAction } from '../helpers/model-stub.js';
import { makePdf, pageTags } from '../helpers/pdfs.js';
import { eventually, getJson, startStack, waitForTask, type Stack, type TaskData } from '../helpers/stack.js';

const cli = fileURLToPath(new URL('../../src/main/cli.ts', import.meta.url));
// By URL: the CLI runs in a scratch folder (no .env of the checkout), where `tsx` would not resolve.
const tsx = import.meta.resolve('tsx');
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
// util-linux `script` runs a command on a pseudo-terminal: the only way to give a child a TTY stdout.
const hasScript = spawnSync('script', ['--version']).status === 0;

let stack: Stack;
/** A server with 1 MB upload limits and no worker: only its refusals are used. */
let small: Stack;
before(async () => {
  [stack, small] = await Promise.all([
    startStack({ env: { BATCH_SIZE: '2', PDF_DPI: '72', MAX_RETRIES: '2' } }),
    startStack({ worker: false, env: { MAX_IMAGE_SIZE_MB: '1', MAX_PDF_SIZE_MB: '1' } }),
  ]);
});
after(async () => {
  await Promise.all([stack?.stop(), small?.stop()]);
});

interface Run { code: number | null; stdout: string; stderr: string }
interface Spawned { done: Promise<Run>; stdout(): string; signal(name: NodeJS.Signals): void }

/** `ocr <args>` in `cwd`, with the server from the environment unless `env` says otherwise. */
function spawnOcr(args: string[], cwd: string, env: Record<string, string | undefined> = {}): Spawned {
  const vars = { PATH: process.env.PATH, OCR_SERVER: stack.origin, OCR_PASSWORD: stack.config.http.password, ...env };
  const child = spawn(process.execPath, ['--import', tsx, cli, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    // `undefined` leaves a variable out.
    env: Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== undefined)),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<Run>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return { done, stdout: () => stdout, signal: (name) => child.kill(name) };
}

const ocr = (args: string[], cwd: string, env?: Record<string, string | undefined>) => spawnOcr(args, cwd, env).done;

async function scratch(): Promise<string> {
  return mkdtemp(path.join(testEnv.scratchDir, 'cli-'));
}

/** The task id each file was submitted as, from submit's "<file>: submitted as task <id>" lines. */
function submittedIds(stdout: string): Map<string, string> {
  const ids = new Map<string, string>();
  for (const [, file, id] of stdout.matchAll(new RegExp(`^(.+): submitted as task (${UUID})`, 'gm'))) ids.set(file!, id!);
  return ids;
}

const exportBody = async (id: string, format: string) => Buffer.from(await (await fetch(`${stack.api}/api/tasks/${id}/export?format=${format}`)).arrayBuffer());
const taskOf = async (id: string) => (await getJson<{ data: TaskData & { options: Record<string, unknown>; metadata: Record<string, unknown>; total_pages: number } }>(`${stack.api}/api/tasks/${id}`)).body.data;

test('submit DIR: images and PDFs found, one line per event, results equal to the export routes\' bodies', async () => {
  const dir = await scratch();
  await mkdir(path.join(dir, 'docs/scans'), { recursive: true });
  await writeFile(path.join(dir, 'docs/a.png'), await taggedImage(11));
  await writeFile(path.join(dir, 'docs/scans/b.jpg'), await taggedImage(12, 'jpeg'));
  await writeFile(path.join(dir, 'docs/report.pdf'), makePdf(pageTags(3, 13)));
  await writeFile(path.join(dir, 'docs/报告 2024.webp'), await taggedImage(16, 'webp'));
  await writeFile(path.join(dir, 'docs/notes.txt'), 'not for OCR');

  const run = await ocr(['submit', 'docs', '--out', 'out'], dir);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const ids = submittedIds(run.stdout);
  assert.deepEqual([...ids.keys()].sort(), ['docs/a.png', 'docs/report.pdf', 'docs/scans/b.jpg', 'docs/报告 2024.webp']);
  for (const [file, name] of [['docs/a.png', 'a.md'], ['docs/scans/b.jpg', 'b.md'], ['docs/report.pdf', 'report.md'], ['docs/报告 2024.webp', '报告 2024.md']] as const) {
    const written = await readFile(path.join(dir, 'out', name));
    assert.ok(written.equals(await exportBody(ids.get(file)!, 'md')), `${name} is the md export's body`);
  }
  assert.ok((await readFile(path.join(dir, 'out/report.md'), 'utf8')).includes(stubMarkdown(15)));

  const lines = run.stdout.split('\n');
  assert.ok(lines.includes(`docs/report.pdf: submitted as task ${ids.get('docs/report.pdf')} (3 pages)`), run.stdout);
  const pageLines = lines.filter((l) => l.startsWith('docs/report.pdf: page '));
  assert.equal(pageLines.length, 3, run.stdout);
  for (const line of pageLines) assert.match(line, /^docs\/report\.pdf: page [1-3] completed \([1-3]\/3 done, [\d.–]+ pages\/min, ETA \S+\)$/);
  assert.ok(lines.includes('docs/report.pdf: completed → out/report.md'), run.stdout);
  assert.match(run.stdout, /^FILE\s+STATUS\s+PAGES\s+FAILED\s+TOKENS\s+COST\s+TIME\s+OUTPUT$/m);
  assert.match(run.stdout, /^docs\/report\.pdf\s+completed\s+3\s+0\s+[\d,]+\s+\S+\s+\S+\s+out\/report\.md$/m);
  assert.ok(!run.stdout.includes('\x1b['), 'no terminal control in a pipe');
  assert.equal(run.stderr, '');
});

test('submit with options and --format html: the options reach the task, the file is the html export', async () => {
  const dir = await scratch();
  await writeFile(path.join(dir, 'paper.pdf'), makePdf(pageTags(4, 21)));
  const run = await ocr(['submit', 'paper.pdf', '--pages', '2-3', '--prompt', 'Tables as HTML', '--format', 'html', '--out', 'html'], dir);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const id = submittedIds(run.stdout).get('paper.pdf')!;
  const task = await taskOf(id);
  assert.deepEqual(task.options, { pages: '2-3', prompt: 'Tables as HTML' });
  assert.equal(task.total_pages, 2);
  assert.ok((await readFile(path.join(dir, 'html/paper.html'))).equals(await exportBody(id, 'html')));
});

test('21 files: a batch request of 20 (the batch route\'s most), then one on its own route', async () => {
  const dir = await scratch();
  const tags = pageTags(21, 100);
  for (const tag of tags) await writeFile(path.join(dir, `p${tag}.png`), await taggedImage(tag));
  const run = await ocr(['submit', '.', '--no-wait'], dir);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const ids = submittedIds(run.stdout);
  assert.equal(ids.size, 21, run.stdout);
  const sources = await Promise.all(tags.map(async (tag) => (await taskOf(ids.get(`p${tag}.png`)!)).metadata.source));
  assert.deepEqual(sources, [...Array<string>(20).fill('api_batch'), 'api_async']);
  for (const id of ids.values()) await waitForTask(stack, id);
});

test('options the server refuses: for one file (a page range beyond it), or for the whole batch', async () => {
  const dir = await scratch();
  await writeFile(path.join(dir, 'short.pdf'), makePdf(pageTags(2, 131)));
  await writeFile(path.join(dir, 'long.pdf'), makePdf(pageTags(4, 133)));
  const range = await ocr(['submit', 'short.pdf', 'long.pdf', '--pages', '3-4'], dir);
  assert.equal(range.code, 1, range.stdout + range.stderr);
  assert.match(range.stdout, /^short\.pdf: refused: Option "pages": page 4 is beyond the document, which has 2 pages \(invalid_option\)$/m);
  assert.match(range.stdout, /^long\.pdf: completed → long\.md$/m);
  assert.match(range.stdout, /^short\.pdf\s+refused\s/m);

  const model = await ocr(['submit', 'short.pdf', 'long.pdf', '--model', 'no-such-model', '--no-wait'], dir);
  assert.equal(model.code, 1, model.stdout + model.stderr);
  assert.equal(submittedIds(model.stdout).size, 0);
  assert.equal(model.stdout.split('\n').filter((l) => / refused: Option "model": .+ \(invalid_option\)$/.test(l)).length, 2, model.stdout);
});

test('each failure has one line and its own exit code', async () => {
  const dir = await scratch();
  await writeFile(path.join(dir, 'ok.png'), await taggedImage(31));
  await writeFile(path.join(dir, 'notes.txt'), 'plain text');
  // PNG's signature, then 1.5 MB: a PNG by its bytes, over a 1 MB limit.
  await writeFile(path.join(dir, 'big.png'), Buffer.concat([(await taggedImage(32)).subarray(0, 64), Buffer.alloc(1.5 * 1024 * 1024, 7)]));

  const cases: Array<{ what: string; args: string[]; env?: Record<string, string | undefined>; code: number; line: RegExp }> = [
    { what: 'wrong password', args: ['submit', 'ok.png', '--password', 'not-it'], code: 4, line: /does not accept this password/ },
    { what: 'unreachable server', args: ['submit', 'ok.png', '--server', `http://127.0.0.1:${await freePort()}`], code: 3, line: /cannot reach the ocr server at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/ },
    { what: 'not an ocr server', args: ['status', '--server', `${stack.stub.url}`], code: 3, line: /is not an ocr server/ },
    { what: 'file over the limits', args: ['submit', 'big.png', 'ok.png'], env: { OCR_SERVER: small.origin }, code: 5, line: /big\.png: 1\.5 MB is over this server's limit of 1 MB for an image \(its MAX_IMAGE_SIZE_MB\)/ },
    { what: 'unsupported type', args: ['submit', 'notes.txt'], code: 6, line: /notes\.txt: not a PDF or a PNG, JPEG, WebP, GIF, BMP or TIFF image/ },
    { what: 'missing file', args: ['submit', 'nowhere.pdf'], code: 2, line: /nowhere\.pdf: no such file or directory/ },
    { what: 'bad option', args: ['submit', 'ok.png', '--format', 'docx'], code: 2, line: /argument 'docx' is invalid/ },
  ];
  for (const c of cases) {
    const run = await ocr(c.args, dir, c.env);
    assert.equal(run.code, c.code, `${c.what}: ${run.stdout}${run.stderr}`);
    const lines = run.stderr.split('\n').filter((l) => l && !l.startsWith('('));
    assert.equal(lines.length, 1, `${c.what}: one line, got ${run.stderr}`);
    assert.match(lines[0]!, c.line, c.what);
    assert.equal(run.stdout, '', `${c.what}: nothing on stdout`);
  }
  assert.equal(stack.stub.callsFor(31).length, 0, 'nothing was submitted by a failed run');
});

test('a file that fails, or finishes partial, makes submit exit 1; ocr retry runs its failed pages again', async () => {
  const dir = await scratch();
  const broken: StubAction = { kind: 'status', status: 401, message: 'bad key' };
  const flaky: StubAction = { kind: 'status', status: 500 };
  stack.stub.script([broken], 41);
  stack.stub.script([flaky, flaky], 43);
  await writeFile(path.join(dir, 'broken.png'), await taggedImage(41));
  await writeFile(path.join(dir, 'flaky.pdf'), makePdf([42, 43]));

  const run = await ocr(['submit', 'broken.png', 'flaky.pdf'], dir);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stdout, /^broken\.png: failed: .+$/m);
  assert.match(run.stdout, /^flaky\.pdf: page 2 failed: .+ \(2\/2 done, 1 failed, .+\)$/m);
  assert.match(run.stdout, /^flaky\.pdf: partial \(1 of 2 pages failed\) → flaky\.md$/m);
  assert.match(run.stdout, /^broken\.png\s+failed\s+1\s+/m);
  const id = submittedIds(run.stdout).get('flaky.pdf')!;
  assert.ok((await readFile(path.join(dir, 'flaky.md'))).equals(await exportBody(id, 'md')), 'a partial result is saved too');

  const retry = await ocr(['retry', id], dir);
  assert.equal(retry.code, 0, retry.stderr);
  assert.equal(retry.stdout, `${id}: retrying 1 failed page\n`);
  await eventually(async () => ((await taskOf(id)).status === 'completed' ? true : undefined), 'the retried task to complete');
});

test('Ctrl-C without a terminal leaves the tasks running and prints their ids; ocr cancel stops them', async () => {
  const dir = await scratch();
  stack.stub.script([{ kind: 'hang' }], 51);
  await writeFile(path.join(dir, 'slow.png'), await taggedImage(51));
  const child = spawnOcr(['submit', 'slow.png'], dir);
  await eventually(() => (stack.stub.callsFor(51).length > 0 && submittedIds(child.stdout()).size === 1 ? true : undefined), 'the task to be with the model');
  child.signal('SIGINT');
  const run = await child.done;
  assert.equal(run.code, 130, run.stdout + run.stderr);
  const id = submittedIds(run.stdout).get('slow.png')!;
  assert.match(run.stdout, new RegExp(`^interrupted: 1 task left running on the server .+:\\n${id}  slow\\.png\\n$`, 'm'));
  assert.ok(['pending', 'processing'].includes((await taskOf(id)).status), 'the task runs on');

  const cancel = await ocr(['cancel', id], dir);
  assert.equal(cancel.code, 0, cancel.stderr);
  assert.equal(cancel.stdout, `${id}: cancellation requested (pages already done are kept)\n`);
  assert.equal((await waitForTask(stack, id)).status, 'cancelled');
});

test('status, result, list: tables, JSON and the export bodies', async () => {
  const dir = await scratch();
  await writeFile(path.join(dir, 'one.png'), await taggedImage(61));
  const submit = await ocr(['submit', 'one.png', '--no-wait'], dir);
  assert.equal(submit.code, 0, submit.stderr);
  assert.match(submit.stdout, new RegExp(`^one\\.png: submitted as task ${UUID} \\(1 page\\)\\n$`));
  const id = submittedIds(submit.stdout).get('one.png')!;
  await waitForTask(stack, id);

  const status = await ocr(['status', id], dir);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^ID\s+STATUS\s+PAGES\s+TOKENS\s+COST\s+TIME\s+FILE\n/);
  assert.match(status.stdout, new RegExp(`^${id}\\s+completed\\s+1/1\\s+[\\d,]+\\s+\\S+\\s+\\S+\\s+one\\.png$`, 'm'));
  const json = await ocr(['status', id, '--json'], dir);
  assert.equal((JSON.parse(json.stdout) as Array<{ id: string }>)[0]!.id, id);

  const txt = await ocr(['result', id, '--format', 'txt'], dir);
  assert.equal(txt.code, 0, txt.stderr);
  assert.equal(txt.stdout, (await exportBody(id, 'txt')).toString());
  const saved = await ocr(['result', id, '--format', 'pdf', '--out', 'one.searchable.pdf'], dir);
  assert.equal(saved.code, 0, saved.stderr);
  assert.ok((await readFile(path.join(dir, 'one.searchable.pdf'))).equals(await exportBody(id, 'pdf')));

  const list = await ocr(['list', '--status', 'completed', '--limit', '1000'], dir);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, new RegExp(`^${id}\\s+completed\\s`, 'm'));
  const missing = await ocr(['status', id, '00000000-0000-4000-8000-000000000000'], dir);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'ocr: 00000000-0000-4000-8000-000000000000: no such task\n');
  assert.match(missing.stdout, new RegExp(`^${id}\\s+completed`, 'm'), 'the tasks that exist are still shown');
  assert.equal((await ocr(['list', '--status', 'done'], dir)).code, 2);
});

test('the server and password from a .env in the working directory, the environment over it', async () => {
  const dir = await scratch();
  await writeFile(path.join(dir, '.env'), `OCR_SERVER=${stack.origin}\nOCR_PASSWORD=stale\n`);
  const fromFile = await ocr(['list', '--limit', '1'], dir, { OCR_SERVER: undefined, OCR_PASSWORD: undefined });
  assert.equal(fromFile.code, 4, 'the file\'s password was used');
  const overridden = await ocr(['list', '--limit', '1'], dir, { OCR_SERVER: undefined });
  assert.equal(overridden.code, 0, overridden.stderr);
});

/** `ocr <args>` on a pseudo-terminal (util-linux `script`, 120 columns); `input` types into it. */
function onTerminal(args: string[], cwd: string): { done: Promise<number | null>; output(): string; type(keys: string): void } {
  const command = ['node', '--import', tsx, cli, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qec', `stty cols 120 rows 40; ${command}`, '/dev/null'], {
    cwd, stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, OCR_SERVER: stack.origin, OCR_PASSWORD: stack.config.http.password, TERM: 'xterm' },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const done = new Promise<number | null>((resolve) => child.once('close', resolve));
  // Terminal control taken out, to read what is on the screen.
  // eslint-disable-next-line no-control-regex
  return { done, output: () => output.replace(/\x1b\[[\d;?]*[A-Za-z]/g, '').replaceAll('\r', ''), type: (keys) => child.stdin.write(keys) };
}

test('on a terminal: one live bar per file, then the table', { skip: !hasScript && 'needs util-linux `script` for a pseudo-terminal' }, async () => {
  const dir = await scratch();
  await writeFile(path.join(dir, 'tty.pdf'), makePdf(pageTags(2, 71)));
  const terminal = onTerminal(['submit', 'tty.pdf', '--out', 'out'], dir);
  assert.equal(await terminal.done, 0, terminal.output());
  const screen = terminal.output();
  // Redraws go back over the same lines, so the last state of the bar follows earlier ones.
  assert.match(screen, /tty\.pdf\s+█{24} 2\/2 pages {2}completed\n/);
  assert.match(screen, /tty\.pdf: completed → out\/tty\.md\n/);
  assert.match(screen, /^tty\.pdf\s+completed\s+2\s+0\s/m);
  assert.ok(!/^tty\.pdf: page/m.test(screen), 'bars, not event lines');
  assert.ok((await readFile(path.join(dir, 'out/tty.md'), 'utf8')).includes(stubMarkdown(72)));
});

test('Ctrl-C on a terminal asks, and can cancel the tasks on the server', { skip: !hasScript && 'needs util-linux `script` for a pseudo-terminal' }, async () => {
  const dir = await scratch();
  stack.stub.script([{ kind: 'hang' }], 81);
  await writeFile(path.join(dir, 'stuck.png'), await taggedImage(81));
  const terminal = onTerminal(['submit', 'stuck.png'], dir);
  await eventually(() => (stack.stub.callsFor(81).length > 0 ? true : undefined), 'the task to be with the model');
  terminal.type('\x03'); // Ctrl-C: the terminal sends SIGINT
  await eventually(() => (terminal.output().includes('Cancel them on the server') ? true : undefined), 'the question');
  terminal.type('\x1b[B'); // ↓ to "Cancel them"
  terminal.type('\r');
  assert.equal(await terminal.done, 130, terminal.output());
  const [, id] = new RegExp(`^(${UUID})  stuck\\.png: cancelled$`, 'm').exec(terminal.output()) ?? [];
  assert.ok(id, terminal.output());
  assert.equal((await waitForTask(stack, id)).status, 'cancelled');
});
