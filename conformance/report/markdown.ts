// Markdown for people: a run's summary (totals per profile, what failed and
// why, what is unsupported grouped by missing capability) and a drivers ×
// profiles matrix for --all-drivers.
import { PROFILES, type Profile, type Totals } from '../framework/types.js';
import type { Report } from './report.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownSummary(r: Report): string {
  const id = r.identity;
  const out: string[] = [];
  out.push(`# Conformance: ${id.driver ?? r.target.name}`, '');
  out.push(`- Device: ${id.vendor ?? '?'} ${id.model ?? '?'} (driver \`${id.driver ?? '?'}\`, serial ${id.serial ?? '?'}, HAL ${id.halVersion ?? '?'}, pipeline ${id.pipelineVersion ?? '?'})`);
  out.push(`- Target: ${r.target.name} (${r.target.isolation === 'fresh' ? 'a fresh device per test' : 'one device, reset between tests'})`);
  out.push(`- Features declared: ${(r.capabilities.features ?? []).join(', ') || 'none'}`);
  out.push(`- Run: ${r.startedAt}, ${(r.durationMs / 1000).toFixed(1)} s`);
  out.push(`- Verdict: **${r.conformant ? 'CONFORMANT' : 'NOT CONFORMANT'}** for what it declares (${r.totals.pass} pass, ${r.totals.fail} fail, ${r.totals.error} error, ${r.totals.unsupported} unsupported)`, '');
  out.push('| profile | pass | fail | error | unsupported | total |', '|---|---:|---:|---:|---:|---:|');
  for (const p of PROFILES) {
    const t = r.byProfile[p];
    if (t) out.push(`| ${p} | ${t.pass} | ${t.fail} | ${t.error} | ${t.unsupported} | ${t.total} |`);
  }
  out.push(`| **all** | ${r.totals.pass} | ${r.totals.fail} | ${r.totals.error} | ${r.totals.unsupported} | ${r.totals.total} |`, '');
  const bad = r.results.filter((x) => x.status === 'fail' || x.status === 'error');
  if (bad.length) {
    out.push('## Failures and errors', '', '| test | status | reason |', '|---|---|---|');
    for (const x of bad) out.push(`| \`${x.id}\` ${cell(x.title)} | ${x.status} | ${cell(x.reason ?? '')} |`);
    out.push('');
  }
  const uns = r.results.filter((x) => x.status === 'unsupported');
  if (uns.length) {
    const groups = new Map<string, string[]>();
    for (const x of uns) groups.set(x.reason ?? '', [...(groups.get(x.reason ?? '') ?? []), x.id]);
    out.push('## Unsupported (not declared by the device)', '', '| missing | tests |', '|---|---|');
    for (const [reason, ids] of [...groups].sort((a, b) => b[1].length - a[1].length)) out.push(`| ${cell(reason)} | ${ids.length}: ${ids.map((i) => `\`${i}\``).join(', ')} |`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

export interface MatrixRow {
  readonly driver: string;
  readonly byProfile: Partial<Record<Profile, Totals>>;
  readonly totals: Totals;
}

const summary = (t: Totals | undefined) => {
  if (!t) return '—';
  const run = t.total - t.unsupported;
  const bad = t.fail + t.error;
  return `${t.pass}/${run}${bad ? ` ✗${bad}` : ''}${t.unsupported ? ` (${t.unsupported} unsup.)` : ''}`;
};

export function matrixMarkdown(rows: readonly MatrixRow[]): string {
  const out = ['# Conformance matrix', '', 'Cells: passed / run (✗ failed or errored) (unsupported).', ''];
  out.push(`| driver | ${PROFILES.join(' | ')} | all |`, `|---|${PROFILES.map(() => '---').join('|')}|---|`);
  for (const r of rows) out.push(`| ${r.driver} | ${PROFILES.map((p) => summary(r.byProfile[p])).join(' | ')} | ${summary(r.totals)} |`);
  return `${out.join('\n')}\n`;
}
