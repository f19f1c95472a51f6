/**
 * What the server tells the web page, and the password rule both sides apply. The page reads its
 * configuration from a meta tag (JSON, never evaluated); the password itself is never in it.
 */

/** `<meta name="ocr-config" content="{…}">` */
export const PAGE_CONFIG_META = 'ocr-config';

/** The app's configuration (TITLE, BACK_URL, the upload limits). */
export interface PageConfig {
  title: string;
  /** Whether the app lives under /{PASSWORD} (its first path segment). */
  prefixed: boolean;
  /** Origin uploads go to (BACK_URL, no trailing slash); "" = this origin. */
  backUrl: string;
  maxImageMb: number;
  maxPdfMb: number;
  maxPdfPages: number;
}

/** The password form's configuration. */
export interface LoginConfig { title: string }

/**
 * What PASSWORD may be: it is a URL path segment, so nothing that needs encoding or contains a
 * slash (empty means no password). The form at `/` never asks the server about anything else.
 */
export const PASSWORD_PATTERN = /^[A-Za-z0-9._~-]*$/;
