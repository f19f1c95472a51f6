/**
 * Chinese or English: the saved choice, else the browser's languages. The choice is kept in
 * localStorage (a language is no secret); listeners re-render on a switch.
 */
import { en, zh, type MessageKey } from './messages.js';

export type Lang = 'zh' | 'en';
const STORAGE_KEY = 'ocr.lang';
const dictionaries: Record<Lang, Record<MessageKey, string>> = { en, zh };

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'zh' || saved === 'en') return saved;
  } catch {
    // storage may be disabled; fall back to the browser's languages
  }
  for (const tag of navigator.languages ?? [navigator.language]) {
    if (/^zh\b/i.test(tag)) return 'zh';
    if (/^en\b/i.test(tag)) return 'en';
  }
  return 'en';
}

let lang: Lang = initialLang();
const listeners = new Set<() => void>();

export const getLang = () => lang;

export function setLang(next: Lang): void {
  if (next === lang) return;
  lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not remembered, still switched
  }
  applyDocumentLang();
  for (const listener of listeners) listener();
}

/** Returns a function that stops the listening. */
export function onLangChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function applyDocumentLang(): void {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

/** The text for `key` with `{name}` placeholders filled in (as text: callers use textContent). */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  return dictionaries[lang][key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** A text to translate when shown, so a language switch reaches messages made earlier. */
export interface Message { key: MessageKey; vars?: Record<string, string | number> }

export const tm = (message: Message) => t(message.key, message.vars);
