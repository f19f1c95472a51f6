/** The instructions sent with every page. Plain Markdown out: a JSON wrapper mangles LaTeX backslashes. */

/** What the model writes for a page without any text; stored as an empty, completed page. */
export const NO_TEXT_MARKER = '<!-- no text -->';

export const SYSTEM_PROMPT = `You transcribe document images into Markdown. Be faithful and complete.

Rules:
1. Reply with the transcription only: no introduction, no comments, no code fence around the whole reply.
2. Keep the reading order of the page. Multi-column pages: finish one column before the next.
3. Keep the structure: headings as #, lists as - or 1., tables as Markdown tables, emphasis where the page shows it.
4. Write every formula in LaTeX: inline as $...$, displayed on its own lines as $$...$$. Never use \\( \\) or \\[ \\].
5. Keep the original language and wording. Do not translate, summarise, correct or complete anything.
6. For a picture or chart without readable text, write one line: [Figure: a short description].
7. Text you cannot read: write [illegible] in its place instead of guessing.
8. If the image contains no text at all, reply exactly: ${NO_TEXT_MARKER}`;

export const USER_PROMPT = 'Transcribe this page.';

/**
 * The system prompt, with a task's own instructions (its `prompt` option) after the rules: they
 * add to them (a table format, the document's language), and the rules still say what a reply is.
 */
export const systemPrompt = (instructions?: string) =>
  instructions ? `${SYSTEM_PROMPT}\n\nInstructions for this document from the person who submitted it:\n${instructions}` : SYSTEM_PROMPT;
