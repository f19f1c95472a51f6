/**
 * The two HTML documents of the web page: the password form and the app. Both are a bare shell
 * around hashed bundles (no inline script, so the CSP can forbid them), and neither ever contains
 * the password: the app learns its path prefix from `location.pathname` at run time.
 */
import type { Config } from '../../config.js';
import { PAGE_CONFIG_META, type LoginConfig, type PageConfig } from '../../contract/index.js';
import type { EntryFiles } from './assets.js';
import { escapeHtml } from '../../render/escape.js';


const MB = 1024 * 1024;

/** What the app needs from the configuration, in a meta tag (read with JSON.parse, never evaluated). */
export function pageConfig(config: Config, prefixed: boolean): PageConfig {
  return {
    title: config.http.title,
    prefixed,
    backUrl: config.http.backUrl.replace(/\/+$/, ''),
    maxImageMb: config.limits.maxImageBytes / MB,
    maxPdfMb: config.limits.maxPdfBytes / MB,
    maxPdfPages: config.limits.maxPdfPages,
  };
}

const originOf = (url: string) => (URL.canParse(url) ? new URL(url).origin : undefined);

/**
 * Scripts only from this origin. KaTeX positions glyphs with inline style attributes, hence
 * 'unsafe-inline' for styles (styles cannot run code). Images: our own, data: URLs of KaTeX and
 * blob: previews of the files being uploaded; uploads may go to BACK_URL.
 */
export function contentSecurityPolicy(config: Config): string {
  const favicon = originOf(config.http.faviconUrl);
  const back = config.http.backUrl ? originOf(config.http.backUrl) : undefined;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${favicon ? ` ${favicon}` : ''}`,
    "font-src 'self'",
    `connect-src 'self'${back ? ` ${back}` : ''}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function renderPage(config: Config, entry: EntryFiles, data: PageConfig | LoginConfig): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<meta name="${PAGE_CONFIG_META}" content="${escapeHtml(JSON.stringify(data))}">
<title>${escapeHtml(config.http.title)}</title>
<link rel="icon" href="${escapeHtml(config.http.faviconUrl)}">
<link rel="stylesheet" href="/static/${entry.css}">
<script type="module" src="/static/${entry.js}"></script>
</head>
<body>
<noscript>This page needs JavaScript. / 此页面需要启用 JavaScript。</noscript>
<div id="root"></div>
</body>
</html>
`;
}
