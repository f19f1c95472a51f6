/** The `pages` option's ranges: parsed, merged and spelled back the shortest way. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatPageRanges, parsePageRanges, taskPageNumbers } from '../../src/tasks/page-ranges.js';

test('ranges are parsed, merged and spelled back the shortest way', () => {
  assert.deepEqual(parsePageRanges('5'), [5]);
  assert.deepEqual(parsePageRanges(' 10-12 , 1-3,5 '), [1, 2, 3, 5, 10, 11, 12]);
  assert.deepEqual(parsePageRanges('1-4,2-3,4,4'), [1, 2, 3, 4]);
  assert.deepEqual(parsePageRanges('7 - 9'), [7, 8, 9]);
  assert.equal(formatPageRanges(parsePageRanges('3,1,2,5,7-8,6')), '1-3,5-8');
  assert.equal(formatPageRanges([4]), '4');
  assert.equal(formatPageRanges([]), '');
});

test('open, reversed, empty and zero ranges are refused with a reason', () => {
  for (const [spec, reason] of [['3-', /"3-" is not one/], ['-3', /"-3"/], ['5-3', /low to high/], ['0', /from 1/], ['', /"" is not one/], ['1,,2', /"" is not one/], ['a-b', /"a-b"/], ['1-200000', /up to 100000/]] as const) {
    assert.throws(() => parsePageRanges(spec), reason, spec);
  }
});

test("a task's pages: those its option names, or all", () => {
  assert.deepEqual(taskPageNumbers({ total_pages: 3, options: {} }), [1, 2, 3]);
  assert.deepEqual(taskPageNumbers({ total_pages: 2, options: { pages: '2,9' } }), [2, 9]);
});
