/** The model's reply turned into a page: refusals refused, chatter removed, the page's own text kept. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkAnswer } from '../../src/vision/answer.js';
import { VisionError } from '../../src/vision/errors.js';

const refused = (reply: string) => {
  try {
    checkAnswer(reply);
    return false;
  } catch (err) {
    if (err instanceof VisionError && err.kind === 'refused') return true;
    throw err;
  }
};

test('whole-reply fences are removed, the no-text marker becomes empty, code blocks and math are kept', () => {
  assert.deepEqual(checkAnswer('```markdown\n# Title\n\n$x$\n```'), { markdown: '# Title\n\n$x$', warnings: ['fence_removed'] });
  assert.deepEqual(checkAnswer('  <!-- no text -->\n'), { markdown: '', warnings: [] });
  const inner = 'Text\n\n```python\nprint(1)\n```\n\nMore';
  assert.deepEqual(checkAnswer(inner), { markdown: inner, warnings: [] }, 'a code block inside the page is content');
  assert.deepEqual(checkAnswer('$$\\frac{a}{b}$$'), { markdown: '$$\\frac{a}{b}$$', warnings: [] });
});

test('refusals in English and Chinese are errors, retried and never stored', () => {
  for (const reply of [
    "I'm sorry, but I can't assist with that.",
    "I'm sorry, I can't help with this request.",
    'Sorry, I cannot transcribe this image.',
    'I am unable to process the image you provided.',
    "I'm sorry, I'm not able to help with that.",
    'Unfortunately, I cannot provide a transcription of this document.',
    'As an AI language model, I cannot read this image.',
    '抱歉，我无法协助处理这个请求。',
    '很抱歉，我不能识别这张图片中的内容。',
    '对不起，我无法提供帮助。',
  ]) {
    assert.ok(refused(reply), reply);
  }
  assert.throws(() => checkAnswer("I'm sorry, but I can't assist with that."), (err: unknown) =>
    err instanceof VisionError && err.retryable && err.scope === 'page' && /refused.*can't assist/.test(err.message));
});

test('pages that merely contain such words are content', () => {
  for (const page of [
    "I'm sorry for the delay in answering your letter of 3 May.",
    "I can't help falling in love with you",
    '# Apology\n\nSorry, but I cannot attend the meeting on Friday.',
    'Sorry, we are closed.',
    '我无法参加下周的会议，请见谅。',
    '抱歉，本店今日休息。',
    `I'm sorry, but I can't assist with that. ${'The rest of this page is a long story about a refused request. '.repeat(8)}`,
    '| Name | Note |\n|---|---|\n| Ann | Sorry, I cannot help it |',
  ]) {
    assert.equal(refused(page), false, page);
    assert.equal(checkAnswer(page).markdown, page.trim());
  }
});

test('a preamble line and a closing offer are removed, and said so; the page text stays', () => {
  assert.deepEqual(checkAnswer('Sure! Here is the transcription of the page:\n\n# Title\n\nBody text.\n\nLet me know if you need anything else!'),
    { markdown: '# Title\n\nBody text.', warnings: ['preamble_removed', 'offer_removed'] });
  assert.deepEqual(checkAnswer("Here's the Markdown:\n# A\n\n---\n\nI hope this helps."), { markdown: '# A', warnings: ['preamble_removed', 'offer_removed'] });
  assert.deepEqual(checkAnswer('以下是图片中的文字内容：\n\n第一章\n\n如果还需要其他帮助，请随时告诉我。'), { markdown: '第一章', warnings: ['preamble_removed', 'offer_removed'] });
  // Not chatter: the page's own first and last lines.
  for (const page of ['Here is the agenda for Monday:\n\n1. Budget', '# Letter\n\nPlease let me know if the invoice is wrong.', 'Let me know if you need anything else!']) {
    assert.deepEqual(checkAnswer(page), { markdown: page, warnings: [] }, page);
  }
});

test('\\( \\) and \\[ \\] become $ and $$ outside code; a \\\\[2pt] line break is not an opener', () => {
  assert.deepEqual(checkAnswer('Energy \\( E = mc^2 \\) and\n\\[\n\\int_0^1 x\\,dx\n\\]'),
    { markdown: 'Energy $E = mc^2$ and\n$$\n\\int_0^1 x\\,dx\n$$', warnings: ['math_delimiters_rewritten'] });
  const code = 'Use `\\(x\\)` in LaTeX:\n\n```latex\n\\[ a \\]\n```';
  assert.deepEqual(checkAnswer(code), { markdown: code, warnings: [] });
  const array = '$$\\begin{array}{c} a \\\\[2pt] b \\end{array}$$';
  assert.deepEqual(checkAnswer(array), { markdown: array, warnings: [] });
});
