/**
 * A page's Markdown as the plain text a reader of the page sees: what the searchable PDF's
 * invisible layer carries and what an Azure-style `text` answer holds. Markup goes (`#`, `**`,
 * table pipes, link targets), words stay, line by line as the model wrote them. Formulas stay as
 * their TeX source without delimiters (`E = mc^2`, `\frac{a}{b}`): nothing else would find them,
 * and it is what a person types to search for one. Blocks (paragraphs, headings, lists, tables) are
 * set off by a blank line, as paragraphs of plain text are.
 *
 * Parsed by the same markdown-it and math plugin as the renderer (render/markdown.ts), so what
 * counts as a formula, a table or a code span is decided once.
 */
import katex from 'katex';
import MarkdownIt, { type Token } from 'markdown-it';
import texmath from 'markdown-it-texmath';

// Tokens only: nothing is rendered here. The plugin is still given KaTeX, since it keeps the engine
// of its last use module-wide: any other engine would become the HTML renderer's too.
const md = new MarkdownIt({ html: false, linkify: false, typographer: false });
md.use(texmath, { engine: katex, delimiters: ['dollars', 'brackets'] });

/** Inline tokens → text: words, code and TeX as they are, images by their alt text. */
function inlineText(tokens: Token[]): string {
  let text = '';
  for (const token of tokens) {
    switch (token.type) {
      case 'text': case 'code_inline': case 'math_inline': case 'math_inline_double':
        text += token.content;
        break;
      case 'softbreak': case 'hardbreak':
        text += '\n';
        break;
      case 'image':
        text += inlineText(token.children ?? []);
        break;
      default:
        // emphasis, links and their closings carry no text of their own
        break;
    }
  }
  return text;
}

/** Separates a table's cells on their row's line: readable, and searchable across a row. */
const CELL_GAP = '  ';

export function markdownToPlainText(markdown: string): string {
  const lines: string[] = [];
  const lists: Array<{ ordered: boolean; next: number }> = [];
  let row: string[] | undefined;
  let marker = '';
  for (const token of md.parse(markdown, {})) {
    switch (token.type) {
      case 'bullet_list_open': lists.push({ ordered: false, next: 1 }); break;
      case 'ordered_list_open': lists.push({ ordered: true, next: Number(token.attrGet('start') ?? 1) }); break;
      case 'bullet_list_close': case 'ordered_list_close': lists.pop(); break;
      case 'list_item_open': {
        const list = lists.at(-1)!;
        marker = `${'  '.repeat(lists.length - 1)}${list.ordered ? `${list.next++}.` : '-'} `;
        break;
      }
      case 'tr_open': row = []; break;
      case 'tr_close': lines.push(row!.join(CELL_GAP)); row = undefined; break;
      case 'inline': {
        const text = inlineText(token.children ?? []);
        if (row) row.push(text.replace(/\n/g, ' '));
        else {
          lines.push(marker + text);
          marker = '';
        }
        break;
      }
      case 'fence': case 'code_block': case 'math_block': case 'math_block_eqno':
        lines.push(token.content.replace(/^\n+|\n+$/g, ''));
        break;
      default:
        break;
    }
    // Top-level blocks (a paragraph, a heading, a whole list or table) are set off by a blank line.
    if (token.block && token.level === 0 && token.nesting !== 1) lines.push('');
  }
  return lines.join('\n').replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n').trim();
}
