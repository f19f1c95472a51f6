/**
 * What the model's reply becomes: a refusal is an error (never content), and a few known shapes of
 * chatter around the transcription are taken off — never the page's own text. Each clean-up applied
 * is named in the page's warnings, so a reader can tell the stored Markdown from the raw reply.
 *
 * The patterns are deliberately narrow: a page that really says "sorry" or "let me know" must stay
 * as it is, so each rule needs the reply to be short (refusals) or the line to stand at the very
 * start or end and talk about the transcription itself (preambles, offers).
 */
import type { PageWarning } from '../contract/index.js';
import { VisionError } from './errors.js';
import { NO_TEXT_MARKER } from './prompt.js';

export interface CheckedAnswer { markdown: string; warnings: PageWarning[] }

/** Some models wrap the whole answer in ```markdown fences despite the prompt. */
const WHOLE_REPLY_FENCE = /^```(?:markdown|md)?[ \t]*\n([\s\S]*?)\n?```$/;

/** A refusal is short: a page of text that happens to contain such a sentence is not one. */
const MAX_REFUSAL_CHARS = 400;

/**
 * Refusal sentences, English and Chinese, as models word them. Each needs an assistant-style object
 * ("with that", "this request", "the image"…) or the end of the sentence after the verb, so that
 * "I can't help falling in love" or "我无法参加会议" on a page are not refusals.
 */
const APOLOGY = String.raw`(?:(?:i'?m|i am) (?:really |very |so )?sorry|sorry|i apologi[sz]e|unfortunately)?[,.!]?\s*(?:but\s+)?`;
const CANNOT = String.raw`(?:(?:i|we)\s+(?:can(?:no|')t|cannot|am unable to|am not able to|won'?t|will not|must decline to)|(?:i'?m|i am)\s+(?:unable|not able)\s+to)`;
const ASSIST = String.raw`(?:help|assist|comply|do that|process|transcribe|read|provide|identify|extract|fulfill|proceed)`;
/** What a refusal is about: the request or the image, not the page's own subject. */
const ABOUT = String.raw`(?:\s+[^.!?\n]{0,40}?\b(?:image|picture|photo|request|task|document|page|file|content|text|transcription|scan|that|this|it)\b[^.!?\n]*)?`;
const REFUSALS: readonly RegExp[] = [
  new RegExp(String.raw`^${APOLOGY}${CANNOT}\s+${ASSIST}${ABOUT}\s*(?:[.!]|$)`, 'i'),
  /^as an ai(?: language model)?\b[^.!?\n]*\b(?:can(?:no|')t|cannot|unable|not able)\b/i,
  /^(?:很|非常|十分)?(?:抱歉|对不起)?[，,。！!]?\s*(?:但(?:是)?)?(?:我)?(?:无法|不能|没法|不可以|不便)(?:协助|帮助|帮忙|处理|识别|转录|提供|完成|满足|回答)(?:你|您|这|该|此|这个|此项|相关)?[^。！!\n]{0,20}(?:[。！!.]|$)/,
];

/** "Sure! Here is the transcription:" — the first line, talking about the reply, ending in a colon. */
const PREAMBLES: readonly RegExp[] = [
  /^(?:(?:sure|certainly|of course|okay|ok|absolutely)[,.!]?\s*)?(?:here(?:'s| is| are)|below is|the following is)\b[^\n]{0,80}\b(?:transcription|transcribed|markdown|text|content|conversion|converted|ocr)\b[^\n]{0,40}[:：]\s*$/i,
  /^(?:sure|certainly|of course|okay|ok)[,.!]\s*$/i,
  /^(?:好的|当然|没问题)?[，,！!。]?\s*(?:以下是|下面是|这是)[^\n]{0,40}(?:转录|识别|内容|文本|文字|markdown|Markdown)[^\n]{0,20}[:：]\s*$/,
];

/** "Let me know if you need anything else." — the last line, offering more help. */
const OFFERS: readonly RegExp[] = [
  /^(?:please\s+)?(?:let me know|feel free to (?:ask|reach out|let me know))\b[^\n]{0,40}\b(?:you|anything|further|more|else|questions?|help|adjust\w*|changes?|clarif\w*)\b[^\n]{0,120}$/i,
  /^(?:i\s+)?hope (?:this|that|it) helps\b[^\n]{0,80}$/i,
  /^if you (?:need|would like|want|have)\b[^\n]{0,80}\b(?:let me know|feel free|happy to|glad to|just ask|i can)\b[^\n]{0,80}$/i,
  /^(?:如(?:果|需|有)|希望(?:这|以上|对))[^\n]{0,60}(?:告诉我|随时|帮助|帮到|联系)[^\n]{0,30}$/,
];

function isRefusal(text: string): boolean {
  if (text.length > MAX_REFUSAL_CHARS) return false;
  return REFUSALS.some((pattern) => pattern.test(text));
}

/** Removes a preamble line at the start (only when text follows it). */
function withoutPreamble(text: string): string | undefined {
  const [first, ...rest] = text.split('\n');
  if (rest.join('').trim() === '' || !PREAMBLES.some((p) => p.test(first!.trim()))) return undefined;
  return rest.join('\n').replace(/^\s*\n/, '').trimStart();
}

/** Removes an offer line at the end (and a `---` rule just before it), only when text precedes it. */
function withoutOffer(text: string): string | undefined {
  const lines = text.split('\n');
  const last = lines.at(-1)!.trim();
  if (lines.length < 2 || !OFFERS.some((p) => p.test(last))) return undefined;
  const kept = lines.slice(0, -1).join('\n').trimEnd().replace(/\n+(?:-{3,}|\*{3,})$/, '').trimEnd();
  return kept === '' ? undefined : kept;
}

/** Fenced code blocks and inline code spans: math inside them is code, not math. */
const CODE = /(^|\n)(```|~~~)[^\n]*\n[\s\S]*?(?:\n\2[^\n]*(?=\n|$)|$)|`+[^`\n]*`+/g;

/**
 * `\( … \)` → `$…$` and `\[ … \]` → `$$…$$` outside code. A backslash before the opener (the `\\[2pt]`
 * line break of an array) is not an opener.
 */
function rewriteMath(text: string): string {
  const rewrite = (prose: string) => prose
    .replace(/(?<!\\)\\\[([\s\S]+?)(?<!\\)\\\]/g, (_, math: string) => `$$${math}$$`)
    .replace(/(?<!\\)\\\(([\s\S]+?)(?<!\\)\\\)/g, (_, math: string) => `$${math.trim()}$`);
  let out = '';
  let last = 0;
  for (const match of text.matchAll(CODE)) {
    out += rewrite(text.slice(last, match.index)) + match[0];
    last = match.index + match[0].length;
  }
  return out + rewrite(text.slice(last));
}

/**
 * The Markdown of a reply and the clean-ups applied to it; throws VisionError('refused') for a
 * refusal (retried, then recorded as a failed page).
 */
export function checkAnswer(reply: string): CheckedAnswer {
  const warnings: PageWarning[] = [];
  let text = reply.trim();
  const unfenced = WHOLE_REPLY_FENCE.exec(text)?.[1]?.trim();
  if (unfenced !== undefined) {
    text = unfenced;
    warnings.push('fence_removed');
  }
  if (text === NO_TEXT_MARKER) return { markdown: '', warnings };
  if (isRefusal(text)) {
    throw new VisionError('refused', `the model refused to transcribe the page ("${text.replace(/\s+/g, ' ').slice(0, 120)}")`);
  }
  const noPreamble = withoutPreamble(text);
  if (noPreamble !== undefined) {
    text = noPreamble;
    warnings.push('preamble_removed');
  }
  const noOffer = withoutOffer(text);
  if (noOffer !== undefined) {
    text = noOffer;
    warnings.push('offer_removed');
  }
  const math = rewriteMath(text);
  if (math !== text) {
    text = math;
    warnings.push('math_delimiters_rewritten');
  }
  return { markdown: text, warnings };
}
