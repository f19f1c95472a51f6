/** The loop detector: loops of a word, a line, a LaTeX fragment are found; pages that merely look repetitive pass. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createRepetitionDetector, estimateTokens, findRepetition, MAX_LOOP_PERIOD, MIN_LOOP_CHARS, MIN_LOOP_REPEATS,
} from '../../src/vision/repetition.js';

const page = '# Results\n\nThe measurements below were taken over three weeks in the spring.\n\n';

/** Streams `text` in pieces of `size` characters; returns how much had arrived when the detector fired. */
function streamUntilLoop(text: string, size = 7): number | undefined {
  const detector = createRepetitionDetector();
  for (let i = 0; i < text.length; i += size) {
    if (detector.push(text.slice(i, i + size))) return detector.text.length;
  }
  return undefined;
}

test('a word, a line and a LaTeX fragment repeated at the end are loops', () => {
  const word = findRepetition(page + 'the '.repeat(400));
  assert.deepEqual(word && { unit: word.unit, repeats: word.repeats }, { unit: 'the ', repeats: 400 });
  const line = '| 3 | Total of the second quarter | 1,204 | 17.5 % |\n';
  assert.equal(findRepetition(page + line.repeat(30))?.unit, line);
  const latex = '\\frac{1}{2} \\cdot ';
  assert.equal(findRepetition(`${page}$$x = ${latex.repeat(80)}`)?.unit, latex);
  assert.equal(findRepetition(page + '\n'.repeat(2000))?.unit, '\n', 'endless blank lines too');
  const paragraph = `${'A long paragraph that the model writes again and again. '.repeat(6)}\n\n`;
  assert.ok(paragraph.length < MAX_LOOP_PERIOD);
  assert.equal(findRepetition(page + paragraph.repeat(MIN_LOOP_REPEATS))?.unit, paragraph);
});

test('the thresholds: 1000 characters and 10 whole units of the same text', () => {
  assert.equal(MIN_LOOP_CHARS, 1000);
  const unit = 'ab ';
  const justUnder = 'x'.repeat(10) + unit.repeat(Math.floor((MIN_LOOP_CHARS - 1) / unit.length));
  assert.equal(findRepetition(justUnder), undefined);
  assert.ok(findRepetition(`${justUnder}${unit}`));
  const line = `${'w'.repeat(199)}\n`;
  assert.equal(findRepetition(page + line.repeat(MIN_LOOP_REPEATS - 1)), undefined, '9 lines of 200 characters are not a loop');
  assert.ok(findRepetition(page + line.repeat(MIN_LOOP_REPEATS)));
});

test('near-misses pass: a long table of similar rows, a numbered list, dot leaders, a zero matrix', () => {
  const table = ['| # | Sample | Mass (g) | Result |', '|---|---|---|---|',
    ...Array.from({ length: 200 }, (_, i) => `| ${i + 1} | A-${100 + (i % 7)} | 0.5${i % 10} | pass |`)].join('\n');
  assert.equal(findRepetition(table), undefined);
  const list = Array.from({ length: 300 }, (_, i) => `${i + 1}. item`).join('\n');
  assert.equal(findRepetition(list), undefined);
  const toc = Array.from({ length: 40 }, (_, i) => `${i + 1}. Chapter ${i + 1} ${'.'.repeat(90)} ${i * 12 + 3}`).join('\n');
  assert.equal(findRepetition(toc), undefined);
  assert.equal(findRepetition(`${toc}\n${'.'.repeat(300)}`), undefined, 'a long row of dots is still not a loop');
  const matrix = `$$\\begin{pmatrix}\n${'0 & 0 & 0 & 0 & 0 & 0 \\\\\n'.repeat(12)}\\end{pmatrix}$$`;
  assert.equal(findRepetition(matrix), undefined);
  const emptyForm = `${page}${'| | | |\n'.repeat(60)}`;
  assert.equal(findRepetition(emptyForm), undefined, '60 empty table rows are a form, not a loop');
});

test('while streaming, the loop is caught soon after it crosses the threshold, whatever the chunking', () => {
  const loop = page + '\\quad '.repeat(1000);
  for (const size of [1, 4, 16, 100]) {
    const at = streamUntilLoop(loop, size);
    assert.ok(at !== undefined, `chunks of ${size}`);
    assert.ok(at - page.length < MIN_LOOP_CHARS + 32 + size + 6, `chunks of ${size}: caught after ${at - page.length} looping characters`);
  }
  assert.equal(streamUntilLoop(Array.from({ length: 300 }, (_, i) => `${i + 1}. item`).join('\n')), undefined);
});

test('tokens of text nobody counted: about 4 characters each, one per CJK character', () => {
  assert.equal(estimateTokens(''), 0);
  assert.equal(estimateTokens('abcd'.repeat(25)), 25);
  assert.equal(estimateTokens('中文识别'), 4);
  assert.equal(estimateTokens('中文 ab'), 3);
});
