// JUnit XML of a run: one <testsuite> per profile, one <testcase> per test;
// fail → <failure>, error → <error>, unsupported → <skipped> with the capability.
import type { Report } from './report.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for an attribute or element; drops characters XML 1.0 forbids. */
export function xmlEscape(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/[&<>"']/g, (c) => ESC[c]);
}

const secs = (ms: number) => (ms / 1000).toFixed(3);

export function junitXml(r: Report): string {
  const target = `${r.identity.driver ?? r.target.name}`;
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(`<testsuites name="${xmlEscape(`xpuhal conformance: ${target}`)}" tests="${r.totals.total}" failures="${r.totals.fail}" errors="${r.totals.error}" skipped="${r.totals.unsupported}" time="${secs(r.durationMs)}">`);
  const profiles = [...new Set(r.results.map((x) => x.profile))];
  for (const p of profiles) {
    const rs = r.results.filter((x) => x.profile === p);
    const t = r.byProfile[p]!;
    const time = rs.reduce((a, x) => a + x.durationMs, 0);
    lines.push(`  <testsuite name="${xmlEscape(`conformance.${p}`)}" tests="${t.total}" failures="${t.fail}" errors="${t.error}" skipped="${t.unsupported}" time="${secs(time)}" timestamp="${xmlEscape(r.startedAt.replace(/\.\d+Z$/, ''))}">`);
    for (const x of rs) {
      const open = `    <testcase classname="${xmlEscape(`conformance.${p}`)}" name="${xmlEscape(`${x.id}: ${x.title}`)}" time="${secs(x.durationMs)}"`;
      const reason = xmlEscape(x.reason ?? '');
      if (x.status === 'pass') lines.push(`${open}/>`);
      else if (x.status === 'fail') lines.push(`${open}>`, `      <failure message="${reason}" type="fail">${reason}</failure>`, '    </testcase>');
      else if (x.status === 'error') lines.push(`${open}>`, `      <error message="${reason}" type="error">${reason}</error>`, '    </testcase>');
      else lines.push(`${open}>`, `      <skipped message="${reason}"/>`, '    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
