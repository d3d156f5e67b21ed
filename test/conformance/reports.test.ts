// The report writers: report.json shape, JUnit XML that parses and counts right
// (hostile characters included), the Markdown summary and the matrix.
import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport, junitXml, markdownSummary, matrixMarkdown, writeReports, type TestResult } from '../../conformance/index.js';
import type { RunOutcome } from '../../conformance/framework/runner.js';
import { parseXml } from './xml.js';

const results: TestResult[] = [
  { id: 'core.a', profile: 'core', title: '§5.1 <insert> & "quotes"', status: 'pass', durationMs: 1.5 },
  { id: 'core.b', profile: 'core', title: '§5.2 fails | really', status: 'fail', reason: 'expected <"OK"> & got \u0001 \'ALREADY_EXISTS\'', durationMs: 2 },
  { id: 'forwarding.c', profile: 'forwarding', title: '§2 errors', status: 'error', reason: 'test crashed: TypeError: x]]>y', durationMs: 3 },
  { id: 'policy.d', profile: 'policy', title: '§3 needs', status: 'unsupported', reason: 'needs feature ACL_REJECT', durationMs: 0 },
];
const t = (p: number, f: number, e: number, u: number) => ({ pass: p, fail: f, error: e, unsupported: u, total: p + f + e + u });
const run: RunOutcome = {
  target: { name: 'reference', isolation: 'fresh' },
  describe: { identity: { driver: 'reference', vendor: 'xpuhal', model: 'sim', halVersion: 'v1alpha1' }, capabilities: { features: ['ACL'] } },
  results,
  totals: t(1, 1, 1, 1),
  byProfile: { core: t(1, 1, 0, 0), forwarding: t(0, 0, 1, 0), policy: t(0, 0, 0, 1) },
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 1234,
};

describe('conformance: reports', () => {
  const report = buildReport(run, ['core', 'forwarding', 'policy']);

  it('report.json carries identity, capabilities, totals, verdict and every result', () => {
    expect(report.schema).to.equal('xpuhal-conformance-report/v1');
    expect(report.identity.driver).to.equal('reference');
    expect(report.capabilities.features).to.deep.equal(['ACL']);
    expect(report.conformant).to.equal(false);
    expect(report.results.map((r) => [r.id, r.profile, r.status])).to.deep.equal(results.map((r) => [r.id, r.profile, r.status]));
    expect(buildReport({ ...run, totals: t(3, 0, 0, 1) }, []).conformant).to.equal(true);
  });

  it('JUnit XML is well-formed and its counts match the run', () => {
    const root = parseXml(junitXml(report));
    expect(root.name).to.equal('testsuites');
    expect(root.attrs).to.include({ tests: '4', failures: '1', errors: '1', skipped: '1' });
    const suites = root.children;
    expect(suites.map((s) => s.attrs.name)).to.deep.equal(['conformance.core', 'conformance.forwarding', 'conformance.policy']);
    const cases = suites.flatMap((s) => s.children);
    expect(cases.map((c) => c.attrs.name)).to.deep.equal(results.map((r) => `${r.id}: ${r.title}`));
    expect(cases.map((c) => c.children.map((x) => x.name))).to.deep.equal([[], ['failure'], ['error'], ['skipped']]);
    expect(cases[1].children[0].attrs.message).to.equal('expected <"OK"> & got  \'ALREADY_EXISTS\'');
    expect(cases[3].children[0].attrs.message).to.equal('needs feature ACL_REJECT');
    expect(Number(cases[0].attrs.time)).to.equal(0.002);
  });

  it('the XML checker itself rejects broken XML', () => {
    for (const bad of ['<a><b></a>', '<a x="1" x="2"/>', '<a>&nope;</a>', '<a x=1/>', '<a>1 & 2</a>', '<a/><b/>']) expect(() => parseXml(bad), bad).to.throw();
    expect(parseXml('<a x="&lt;&#65;">t<b/></a>').attrs.x).to.equal('<A');
  });

  it('the Markdown summary gives the verdict, per-profile totals, failures and unsupported capabilities', () => {
    const md = markdownSummary(report);
    expect(md).to.include('NOT CONFORMANT');
    expect(md).to.include('| core | 1 | 1 | 0 | 0 | 2 |');
    expect(md).to.include('`core.b`');
    expect(md).to.include('needs feature ACL_REJECT');
    expect(md).to.include('\\|');
  });

  it('writes the three files; the matrix has a row per driver', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xpuhal-conf-'));
    const files = writeReports(dir, report);
    expect(files.map((f) => f.slice(dir.length + 1))).to.deep.equal(['report.json', 'junit.xml', 'summary.md']);
    expect(JSON.parse(readFileSync(files[0], 'utf8')).totals).to.deep.equal(t(1, 1, 1, 1));
    parseXml(readFileSync(files[1], 'utf8'));
    const m = matrixMarkdown([{ driver: 'reference', byProfile: run.byProfile, totals: run.totals }, { driver: 'other', byProfile: {}, totals: t(0, 0, 0, 0) }]);
    expect(m).to.match(/\| reference \| 1\/2 ✗1 \| 0\/1 ✗1 \| 0\/0 \(1 unsup\.\) \|/);
    expect(m).to.include('| other | — |');
  });
});
