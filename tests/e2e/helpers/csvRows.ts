/**
 * A SplitFace/OpenFace CSV as rows of named cells (the header's names are
 * trimmed: OpenFace writes ", " between them), for tests that check a few
 * columns rather than compare whole files.
 */
export interface CsvTable {
  readonly header: readonly string[];
  readonly rows: readonly Readonly<Record<string, string>>[];
}

export function parseCsv(text: string): CsvTable {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((name) => name.trim());
  const rows = lines.slice(1).map((line) => {
    const cells = line.split(',').map((cell) => cell.trim());
    return Object.fromEntries(header.map((name, i) => [name, cells[i] ?? '']));
  });
  return { header, rows };
}

/** The AU intensity and presence columns of a header (AU01_r, AU01_c, ...). */
export function auColumns(header: readonly string[]): string[] {
  return header.filter((name) => /^AU\d+_[rc]$/.test(name));
}
