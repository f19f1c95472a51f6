/**
 * Where each result is written: in the output folder, named after its file with the format's
 * extension (`report.pdf` → `report.md`; the searchable PDF `report.searchable.pdf`, as the server
 * names it, so it never overwrites its source). Two files that would share a name (`a/x.pdf` and
 * `b/x.pdf`, or `x.pdf` and `x.png`) keep their own: the later ones take the full name, then a number.
 */
import path from 'node:path';
import type { ExportFormat } from './api-client.js';
import type { LocalFile } from './files.js';

const EXTENSION: Record<ExportFormat, string> = { md: '.md', txt: '.txt', json: '.json', html: '.html', pdf: '.searchable.pdf' };

export function outputPaths(files: LocalFile[], outDir: string, format: ExportFormat): Map<LocalFile, string> {
  const taken = new Set<string>();
  const paths = new Map<LocalFile, string>();
  const ext = EXTENSION[format];
  for (const file of files) {
    const stem = path.basename(file.name, path.extname(file.name));
    const candidates = [`${stem}${ext}`, `${file.name}${ext}`];
    let name = candidates.find((c) => !taken.has(c.toLowerCase()));
    for (let n = 2; !name; n++) if (!taken.has(`${stem}-${n}${ext}`.toLowerCase())) name = `${stem}-${n}${ext}`;
    taken.add(name.toLowerCase());
    paths.set(file, path.join(outDir, name));
  }
  return paths;
}
