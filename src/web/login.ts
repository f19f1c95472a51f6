/**
 * The password form at `/`. It asks the API whether the password opens it (a wrong one is a 404,
 * like an unknown path) and then goes to /{password}. The password is never written into the page
 * or into localStorage; the browser's own password manager may remember it (autocomplete).
 */
import './styles/base.css';
import './styles/login.css';
import { PASSWORD_PATTERN, type LoginConfig } from '../contract/index.js';
import { readMetaConfig } from './config.js';
import { h, setText } from './dom.js';
import { applyDocumentLang, onLangChange, t, type Message, tm } from './i18n.js';
import { createLangSwitch } from './lang-switch.js';

const title = readMetaConfig<LoginConfig>().title ?? document.title;

const heading = h('h1', { class: 'login-title', text: title });
const prompt = h('p', { class: 'login-prompt', id: 'login-prompt' });
const label = h('label', { for: 'password' });
const input = h('input', {
  id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true,
  autofocus: true, 'aria-describedby': 'login-error',
});
const submit = h('button', { type: 'submit', class: 'btn btn-primary' });
const error = h('p', { class: 'login-error', id: 'login-error', role: 'alert' });
const hint = h('p', { class: 'muted login-hint' });
// A username field the password manager can pair the password with; never shown.
const username = h('input', { type: 'text', name: 'username', autocomplete: 'username', value: 'ocr', hidden: true });
const form = h('form', { class: 'login-form', 'aria-labelledby': 'login-prompt' }, prompt, username, label, input, submit, error, hint);

let problem: Message | null = null;
let busy = false;

const render = () => {
  setText(prompt, t('login.title'));
  setText(label, t('login.password'));
  setText(submit, t(busy ? 'login.checking' : 'login.submit'));
  setText(hint, t('login.hint'));
  setText(error, problem ? tm(problem) : '');
  submit.disabled = busy;
};

async function opens(password: string): Promise<boolean> {
  const res = await fetch(`/${encodeURIComponent(password)}/api/tasks?limit=1`, { cache: 'no-store', headers: { accept: 'application/json' } });
  if (res.status === 404) return false;
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return true;
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const password = input.value;
  busy = true;
  problem = null;
  render();
  // What the server cannot have as PASSWORD is not worth a request (an empty one has no form).
  const check = password !== '' && PASSWORD_PATTERN.test(password) && password !== '.' && password !== '..' ? opens(password) : Promise.resolve(false);
  check.then((ok) => {
    if (ok) {
      location.assign(`/${encodeURIComponent(password)}`);
      return;
    }
    busy = false;
    problem = { key: 'login.wrong' };
    render();
    input.select();
  }, (err: unknown) => {
    busy = false;
    problem = { key: 'login.failed', vars: { detail: err instanceof Error ? err.message : String(err) } };
    render();
  });
});

document.getElementById('root')?.replaceChildren(
  h('main', { class: 'login' }, h('div', { class: 'login-top' }, createLangSwitch()), heading, form));
applyDocumentLang();
onLangChange(render);
render();
input.focus();
