/** The language menu (中文 / English) of both pages. */
import { h } from './dom.js';
import { getLang, onLangChange, setLang, t, type Lang } from './i18n.js';

export function createLangSwitch(): HTMLElement {
  const select = h('select', { class: 'lang-select' },
    h('option', { value: 'zh', lang: 'zh-CN', text: '中文' }),
    h('option', { value: 'en', lang: 'en', text: 'English' }));
  select.value = getLang();
  const label = h('span', { class: 'visually-hidden' });
  const relabel = () => {
    label.textContent = t('app.language');
    select.value = getLang();
  };
  relabel();
  select.addEventListener('change', () => setLang(select.value as Lang));
  onLangChange(relabel);
  return h('label', { class: 'lang' }, label, select);
}
