/**
 * The options panel above the drop zone (collapsed at first): pages, model (from GET /api/models),
 * DPI, image format, extra instructions and "don't reuse earlier results" for the files uploaded next. Remembered in localStorage
 * (options are no secret); what is left empty follows the service's settings, as the API does.
 */
import { IMAGE_FORMATS, MAX_PROMPT_CHARS, TASK_DPI } from '../contract/index.js';
import type { Api } from './api.js';
import { h, setText } from './dom.js';
import { onLangChange, t } from './i18n.js';

const STORAGE_KEY = 'ocr.options';
const FIELDS = ['pages', 'model', 'dpi', 'image_format', 'prompt'] as const;
type Field = (typeof FIELDS)[number];

export interface OptionsPanel {
  el: HTMLElement;
  /** The options set, as the submit routes take them (fields left empty are left out). */
  current(): Record<string, string>;
}

function saved(): Partial<Record<Field | 'disable_cache', string>> {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}');
    if (typeof value !== 'object' || value === null) return {};
    // Only strings of the known fields: the stored value may come from another version of the page.
    return Object.fromEntries([...FIELDS, 'disable_cache'].flatMap((f) => {
      const v = (value as Record<string, unknown>)[f];
      return typeof v === 'string' ? [[f, v]] : [];
    }));
  } catch {
    return {};
  }
}

export function createOptionsPanel(api: Api): OptionsPanel {
  const pages = h('input', { class: 'opt-pages', name: 'pages', type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const model = h('select', { class: 'opt-model', name: 'model' });
  const dpi = h('input', { class: 'opt-dpi', name: 'dpi', type: 'number', min: TASK_DPI.min, max: TASK_DPI.max, step: 1, inputmode: 'numeric' });
  const format = h('select', { class: 'opt-format', name: 'image_format' });
  const prompt = h('textarea', { class: 'opt-prompt', name: 'prompt', rows: 2, maxlength: MAX_PROMPT_CHARS });
  const inputs: Record<Field, HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement> = { pages, model, dpi, image_format: format, prompt };
  const labels = Object.fromEntries(FIELDS.map((f) => [f, h('span', { class: 'opt-label' })])) as Record<Field, HTMLSpanElement>;
  const fresh = h('input', { class: 'opt-fresh', name: 'disable_cache', type: 'checkbox' });
  const freshLabel = h('span', { class: 'opt-label' });
  const summary = h('summary', { class: 'options-summary' });
  const reset = h('button', { type: 'button', class: 'btn btn-small act-reset-options' });
  const row = (field: Field) => h('label', { class: `opt opt-${field}` }, labels[field], inputs[field]);
  const el = h('details', { class: 'options-panel' }, summary,
    h('div', { class: 'options-grid' }, row('pages'), row('model'), row('dpi'), row('image_format'), row('prompt'),
      h('label', { class: 'opt opt-check' }, fresh, freshLabel)), reset);

  let models: string[] = [];
  let defaultModel = '';
  const initial = saved();

  const fillModels = () => {
    const chosen = model.value || initial.model || '';
    model.replaceChildren(h('option', { value: '', text: t('options.default', { name: defaultModel }) }),
      ...models.map((name) => h('option', { value: name, text: name })));
    // A model no longer allowed is forgotten rather than sent to be refused.
    model.value = models.includes(chosen) ? chosen : '';
  };
  const fillFormats = () => {
    const chosen = format.value || initial.image_format || '';
    format.replaceChildren(h('option', { value: '', text: t('options.format.default') }),
      ...IMAGE_FORMATS.map((f) => h('option', { value: f, text: t(`options.format.${f}`) })));
    format.value = (IMAGE_FORMATS as readonly string[]).includes(chosen) ? chosen : '';
  };
  const relabel = () => {
    setText(summary, t('options.title'));
    setText(labels.pages, t('options.pages'));
    setText(labels.model, t('options.model'));
    setText(labels.dpi, t('options.dpi'));
    setText(labels.image_format, t('options.format'));
    setText(labels.prompt, t('options.prompt'));
    setText(freshLabel, t('options.fresh'));
    setText(reset, t('options.reset'));
    pages.placeholder = t('options.pagesPlaceholder');
    dpi.placeholder = t('options.dpiPlaceholder');
    prompt.placeholder = t('options.promptPlaceholder');
    fillModels();
    fillFormats();
  };

  const current = (): Record<string, string> => ({
    ...Object.fromEntries(FIELDS.flatMap((f) => {
      const value = inputs[f].value.trim();
      return value === '' ? [] : [[f, value]];
    })),
    ...(fresh.checked ? { disable_cache: 'true' } : {}),
  });
  const save = () => localStorage.setItem(STORAGE_KEY, JSON.stringify(current()));
  for (const field of FIELDS) inputs[field].addEventListener('change', save);
  fresh.addEventListener('change', save);
  prompt.addEventListener('input', save);
  reset.addEventListener('click', () => {
    for (const field of FIELDS) inputs[field].value = '';
    fresh.checked = false;
    save();
  });

  pages.value = initial.pages ?? '';
  fresh.checked = initial.disable_cache === 'true';
  dpi.value = initial.dpi ?? '';
  prompt.value = initial.prompt ?? '';
  relabel();
  onLangChange(relabel);
  void api.models().then((answer) => {
    models = answer.models;
    defaultModel = answer.default;
    fillModels();
  }, () => { /* the default model only: the page works without the list */ });
  return { el, current };
}
