// Import boundaries between the parts of the repository (docs: ARCHITECTURE.md):
//   src/hal                    imports nothing of ours outside src/hal;
//   src/k8s-adapter, conformance import only src/hal (and themselves);
//   src/drivers/<name>/        does not import another driver's folder;
//   src/sim                    does not import src/drivers, src/k8s-adapter or conformance;
//   src/scenario               imports only src/hal, src/sim, the reference driver and itself;
//   src/wire                   (the HAL over gRPC) imports only src/hal and itself.
// Packages and node: builtins are always allowed.
import { expect } from 'chai';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SKIP_DIRS = new Set(['node_modules', '.git']);

export interface SourceFile {
  /** Repository-relative, forward slashes: "src/hal/codecs.ts". */
  readonly path: string;
  readonly text: string;
}

export interface Violation {
  readonly file: string;
  readonly specifier: string;
  readonly rule: string;
}

/** Removes comments, keeping string and template literals (so specifiers survive). */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const n = text[i + 1];
    if (c === '/' && n === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && n === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      out += ' ';
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Module specifiers of static imports, re-exports, side-effect imports and dynamic import(). */
export function importSpecifiers(text: string): string[] {
  const src = stripComments(text);
  const out: string[] = [];
  const patterns = [
    // import x from '…', import { a, type B } from '…', import * as ns from '…', import type … from '…'
    // export { a } from '…', export * from '…', export * as ns from '…', export type { A } from '…'
    /(?:^|[^.\w$])(?:import|export)\s+(?:type\s+)?[\w$*{}\s,]*?\bfrom\s*(['"])([^'"\n]+)\1/g,
    // import '…'
    /(?:^|[^.\w$])import\s*(['"])([^'"\n]+)\1/g,
    // import('…'), import(`…`)
    /(?:^|[^.\w$])import\s*\(\s*(['"`])([^'"`\n]+)\1/g,
  ];
  for (const re of patterns) for (const m of src.matchAll(re)) out.push(m[2]);
  return out;
}

type Area = { kind: 'hal' } | { kind: 'wire' } | { kind: 'k8s' } | { kind: 'conformance' } | { kind: 'sim' } | { kind: 'scenario' } | { kind: 'driver'; name: string } | { kind: 'other' };

export function areaOf(path: string): Area {
  if (path.startsWith('src/hal/')) return { kind: 'hal' };
  if (path.startsWith('src/k8s-adapter/')) return { kind: 'k8s' };
  if (path.startsWith('src/wire/')) return { kind: 'wire' };
  if (path.startsWith('conformance/')) return { kind: 'conformance' };
  if (path.startsWith('src/sim/')) return { kind: 'sim' };
  if (path.startsWith('src/scenario/')) return { kind: 'scenario' };
  const d = /^src\/drivers\/([^/]+)\//.exec(path);
  if (d) return { kind: 'driver', name: d[1] };
  return { kind: 'other' };
}

const PACKAGE_NAME = 'xpuhal';

/** The repository-relative target of a specifier, or null for packages and builtins. */
export function resolveOurs(from: string, specifier: string): string | null {
  if (specifier.startsWith('.')) return posix.normalize(posix.join(posix.dirname(from), specifier));
  if (specifier.startsWith('/')) return posix.relative(ROOT.split(sep).join('/'), specifier);
  // A self-reference through the package name is still our code.
  if (specifier === PACKAGE_NAME || specifier.startsWith(`${PACKAGE_NAME}/`)) return specifier.slice(PACKAGE_NAME.length + 1) || '.';
  return null;
}

export function checkBoundaries(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const from = areaOf(file.path);
    if (from.kind === 'other') continue;
    for (const specifier of importSpecifiers(file.text)) {
      const target = resolveOurs(file.path, specifier);
      if (target === null) continue;
      const to = areaOf(target.endsWith('/') ? target : `${target}${target.includes('.') ? '' : '/'}`);
      const toPath = `${target}/`;
      const within = (prefix: string) => toPath.startsWith(prefix) || target.startsWith(prefix);
      let rule: string | null = null;
      switch (from.kind) {
        case 'hal':
          if (!within('src/hal/')) rule = 'src/hal imports nothing of ours outside src/hal';
          break;
        case 'k8s':
          if (!within('src/hal/') && !within('src/k8s-adapter/')) rule = 'src/k8s-adapter imports only src/hal';
          break;
        case 'conformance':
          if (!within('src/hal/') && !within('conformance/')) rule = 'conformance imports only src/hal';
          break;
        case 'wire':
          if (!within('src/hal/') && !within('src/wire/')) rule = 'src/wire imports only src/hal';
          break;
        case 'driver':
          if (to.kind === 'driver' && to.name !== from.name) rule = `src/drivers/${from.name} does not import another driver (${to.name})`;
          // Vendor targets run their own programs: only the reference driver uses the reference walk.
          else if (from.name !== 'reference' && within('src/sim/pipeline/')) rule = `src/drivers/${from.name} does not use the reference pipeline (src/sim/pipeline)`;
          break;
        case 'sim':
          if (within('src/drivers/') || within('src/k8s-adapter/') || within('conformance/')) rule = 'src/sim does not import drivers, the k8s adapter or conformance';
          break;
        case 'scenario':
          if (!within('src/hal/') && !within('src/sim/') && !within('src/drivers/reference/') && !within('src/scenario/')) rule = 'src/scenario imports only src/hal, src/sim, the reference driver and itself';
          break;
      }
      if (rule) violations.push({ file: file.path, specifier, rule });
    }
  }
  return violations;
}

function listTs(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue;
    const full = join(dir, name);
    const st = statSync(full);
    if (st.isDirectory()) listTs(full, out);
    else if (/\.(ts|mts|cts)$/.test(name) && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

export function repositoryFiles(): SourceFile[] {
  return listTs(ROOT).map((full) => ({ path: relative(ROOT, full).split(sep).join('/'), text: readFileSync(full, 'utf8') }));
}

describe('architecture: import boundaries', () => {
  it('the repository respects every boundary', () => {
    const files = repositoryFiles();
    expect(files.some((f) => f.path === 'src/hal/codecs.ts'), 'scanner found src/hal').to.equal(true);
    expect(files.some((f) => f.path.startsWith('node_modules/'))).to.equal(false);
    const v = checkBoundaries(files);
    expect(v, v.map((x) => `${x.file}: '${x.specifier}' (${x.rule})`).join('\n')).to.deep.equal([]);
  });

  describe('the checker itself', () => {
    const check = (path: string, text: string) => checkBoundaries([{ path, text }]).map((v) => v.specifier);

    it('finds every import form, across lines, and ignores comments', () => {
      const text = [
        "import a from './a.js';",
        "import { b,\n  type C,\n  d as e } from './b.js';",
        "import * as ns from \"./c.js\";",
        "import type { T } from './t.js';",
        "import './side-effect.js';",
        "export { x } from './x.js';",
        "export * from './star.js';",
        "export * as nsx from './nsx.js';",
        "export type { Y } from './y.js';",
        "const m = await import('./dyn.js');",
        "const n = import(`./tmpl.js`);",
        "// import z from './commented.js';",
        "/* import w from './block.js'; */",
        "const s = 'import q from \"./in-string.js\"';",
        "obj.import('./method.js');",
      ].join('\n');
      expect(importSpecifiers(text).sort()).to.deep.equal(
        ['./a.js', './b.js', './c.js', './t.js', './side-effect.js', './x.js', './star.js', './nsx.js', './y.js', './dyn.js', './tmpl.js', './in-string.js'].sort(),
      );
    });

    it('src/hal: a relative import leaving src/hal is reported; inside, packages and builtins are not', () => {
      expect(check('src/hal/codecs.ts', "import { x } from '../sim/packet/index.js';")).to.deep.equal(['../sim/packet/index.js']);
      expect(check('src/hal/codecs.ts', "export * from '../drivers/sim/index.js';")).to.deep.equal(['../drivers/sim/index.js']);
      expect(check('src/hal/generated/types.ts', "import type { A } from '../../k8s-adapter/a.js';")).to.deep.equal(['../../k8s-adapter/a.js']);
      expect(check('src/hal/x.ts', "const m = await import('../sim/x.js');")).to.deep.equal(['../sim/x.js']);
      expect(check('src/hal/x.ts', "import 'xpuhal/src/sim/index.js';")).to.deep.equal(['xpuhal/src/sim/index.js']);
      expect(check('src/hal/generated/types.ts', "import type { Ip } from '../values.js';")).to.deep.equal([]);
      expect(check('src/hal/codecs.ts', "import * as t from 'io-ts';\nimport { x } from './schema.js';\nimport { readFileSync } from 'node:fs';\nimport 'reflect-metadata';")).to.deep.equal([]);
    });

    it('src/k8s-adapter and conformance: only src/hal and themselves', () => {
      expect(check('src/k8s-adapter/controller.ts', "import { Hal } from '../hal/index.js';\nimport { y } from './y.js';\nimport { status } from '@grpc/grpc-js';")).to.deep.equal([]);
      expect(check('src/k8s-adapter/controller.ts', "import { SimDevice } from '../sim/device.js';")).to.deep.equal(['../sim/device.js']);
      expect(check('src/k8s-adapter/deep/c.ts', "import { d } from '../../drivers/reference/index.js';")).to.deep.equal(['../../drivers/reference/index.js']);
      expect(check('conformance/suites/route.ts', "import { Hal } from '../../src/hal/index.js';\nimport { h } from '../helpers.js';")).to.deep.equal([]);
      expect(check('conformance/suites/route.ts', "import { ReferenceDriver } from '../../src/drivers/reference/index.js';")).to.deep.equal(['../../src/drivers/reference/index.js']);
      expect(check('conformance/run.ts', "const k = await import('../src/k8s-adapter/index.js');")).to.deep.equal(['../src/k8s-adapter/index.js']);
    });

    it('src/scenario: the simulator, the reference driver and the HAL only', () => {
      expect(check('src/scenario/run.ts', "import { ReferenceDriver } from '../drivers/reference/index.js';\nimport { CostMeter } from '../sim/cost/meter.js';\nimport { HalError } from '../hal/index.js';\nimport { x } from './schema.js';")).to.deep.equal([]);
      expect(check('src/scenario/run.ts', "import { IpuDriver } from '../drivers/intel-ipu/index.js';")).to.deep.equal(['../drivers/intel-ipu/index.js']);
      expect(check('src/scenario/run.ts', "import { main } from '../cli/program.js';")).to.deep.equal(['../cli/program.js']);
    });

    it('drivers: no driver imports another driver folder', () => {
      expect(check('src/drivers/reference/driver.ts', "import { x } from '../remote/client.js';")).to.deep.equal(['../remote/client.js']);
      expect(check('src/drivers/reference/driver.ts', "import { x } from './store.js';\nimport { h } from '../../hal/index.js';\nimport { p } from '../../sim/packet/index.js';")).to.deep.equal([]);
      expect(check('src/drivers/a/sub/x.ts', "export * from '../../b/index.js';")).to.deep.equal(['../../b/index.js']);
      expect(check('src/drivers/intel-ipu/target/x.ts', "import { walkPacket } from '../../../sim/pipeline/packet-walk.js';")).to.deep.equal(['../../../sim/pipeline/packet-walk.js']);
      expect(check('src/drivers/intel-ipu/target/x.ts', "import { LpmTrie } from '../../../sim/lookup/lpm-trie.js';")).to.deep.equal([]);
      expect(check('src/drivers/a/sub/x.ts', "export * from '../y.js';")).to.deep.equal([]);
    });

    it('src/wire: only src/hal and itself', () => {
      expect(check('src/wire/server.ts', "import { Hal } from '../hal/index.js';\nimport { x } from './x.js';\nimport * as grpc from '@grpc/grpc-js';")).to.deep.equal([]);
      expect(check('src/wire/server.ts', "import { ReferenceDriver } from '../drivers/reference/index.js';")).to.deep.equal(['../drivers/reference/index.js']);
    });

    it('src/sim: not drivers, k8s adapter or conformance', () => {
      expect(check('src/sim/state/store.ts', "import { d } from '../../drivers/reference/index.js';")).to.deep.equal(['../../drivers/reference/index.js']);
      expect(check('src/sim/x.ts', "import { k } from '../k8s-adapter/k.js';")).to.deep.equal(['../k8s-adapter/k.js']);
      expect(check('src/sim/x.ts', "import { c } from '../../conformance/c.js';")).to.deep.equal(['../../conformance/c.js']);
      expect(check('src/sim/x.ts', "import { h } from '../hal/index.js';\nimport { p } from './packet/index.js';")).to.deep.equal([]);
    });

    it('files outside the governed areas are not checked', () => {
      expect(check('test/hal/x.test.ts', "import { a } from '../../src/drivers/reference/index.js';")).to.deep.equal([]);
      expect(check('scripts/gen.ts', "import { a } from '../src/sim/index.js';")).to.deep.equal([]);
    });

    it('violations carry the file and the rule', () => {
      expect(checkBoundaries([{ path: 'src/hal/a.ts', text: "import x from '../sim/x.js';" }])).to.deep.equal([
        { file: 'src/hal/a.ts', specifier: '../sim/x.js', rule: 'src/hal imports nothing of ours outside src/hal' },
      ]);
    });
  });
});
