/**
 * What the server put in the page (limits, title, BACK_URL), and the path prefix. The prefix is the
 * first segment of this page's own URL — the server never writes the password into the page.
 */
import { PAGE_CONFIG_META, type PageConfig } from '../contract/index.js';

export type { PageConfig } from '../contract/index.js';

/** The JSON of the page's config meta tag (the server writes it with the contract's fields). */
export function readMetaConfig<T>(): Partial<T> {
  const meta = document.querySelector<HTMLMetaElement>(`meta[name="${PAGE_CONFIG_META}"]`);
  return JSON.parse(meta?.content ?? '{}') as Partial<T>;
}

export function readPageConfig(): PageConfig {
  const data = readMetaConfig<PageConfig>();
  return {
    title: data.title ?? document.title,
    prefixed: data.prefixed ?? false,
    backUrl: data.backUrl ?? '',
    maxImageMb: data.maxImageMb ?? 50,
    maxPdfMb: data.maxPdfMb ?? 200,
    maxPdfPages: data.maxPdfPages ?? 500,
  };
}

/** "/{PASSWORD}" as this page was opened (still URL-encoded), or "" when there is no password. */
export function pathPrefix(config: PageConfig): string {
  if (!config.prefixed) return '';
  const segment = location.pathname.split('/')[1] ?? '';
  return segment ? `/${segment}` : '';
}
