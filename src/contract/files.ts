/** What the service takes as a file: shared by the upload routes and the clients that check before they send. */

/** Image types by their bytes (magic numbers); BMP and TIFF are converted before they reach the model. */
export const UPLOAD_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/bmp', 'image/tiff'] as const;

/** How far into a PDF its `%PDF-` header may be: readers skip what comes before (ISO 32000 leaves room for it). */
export const PDF_HEADER_WITHIN = 1024;
