/**
 * What the server put in the page (limits, title, BACK_URL), and the path prefix. The prefix is the
 * first segment of this page's own URL — the server never writes the password into the page.
 */
export interface PageConfig {
  title: string;
  prefixed: boolean;
  backUrl: string;
  maxImageMb: number;
  maxPdfMb: number;
  maxPdfPages: number;
}

export function readPageConfig(): PageConfig {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="ocr-config"]');
  const data = JSON.parse(meta?.content ?? '{}') as Partial<PageConfig>;
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
