import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { GENERATED_PATH, generate } from '../../scripts/generate-hal-types.js';
import { HAL_PACKAGE, halRoot } from '../../src/hal/spec-root.js';

function walk(ns: protobuf.NamespaceBase, out: protobuf.ReflectionObject[] = []): protobuf.ReflectionObject[] {
  for (const n of ns.nestedArray) {
    if (n instanceof protobuf.Type || n instanceof protobuf.Enum) out.push(n);
    if (n instanceof protobuf.Type || n instanceof protobuf.Namespace) walk(n, out);
  }
  return out;
}

describe('hal/generated types', () => {
  const checkedIn = readFileSync(GENERATED_PATH, 'utf8');

  it('src/hal/generated/types.ts is up to date (run `npm run generate`)', () => {
    const fresh = generate();
    if (fresh !== checkedIn) {
      const a = fresh.split('\n');
      const b = checkedIn.split('\n');
      const i = a.findIndex((line, k) => line !== b[k]);
      expect.fail(`generated types are stale; first difference at line ${i + 1}:\n  generated: ${a[i]}\n  checked in: ${b[i]}`);
    }
  });

  it('GENERATED_PATH points at src/hal/generated/types.ts', () => {
    expect(GENERATED_PATH.replace(/\\/g, '/')).to.match(/\/src\/hal\/generated\/types\.ts$/);
  });

  it('every message and enum of the package appears, with every field and enum value', () => {
    const all = walk(halRoot().lookup(HAL_PACKAGE) as protobuf.Namespace);
    expect(all.length).to.be.greaterThan(80);
    for (const obj of all) {
      if (obj instanceof protobuf.Enum) {
        const names = Object.keys(obj.values);
        expect(checkedIn, obj.name).to.include(`export type ${obj.name} = ${names.map((n) => `'${n}'`).join(' | ')};`);
        expect(checkedIn, obj.name).to.include(`export const ${obj.name}Values = [`);
      } else {
        const t = obj as protobuf.Type;
        const start = checkedIn.indexOf(`export interface ${t.name} {\n`);
        expect(start, t.name).to.be.greaterThan(-1);
        const body = checkedIn.slice(start, checkedIn.indexOf('\n}\n', start));
        for (const f of t.fieldsArray) expect(body, `${t.name}.${f.name}`).to.match(new RegExp(`\\n  ${f.name}\\?: `));
      }
    }
  });

  it('branded value types are used for formatted fields', () => {
    const iface = (name: string) => {
      const start = checkedIn.indexOf(`export interface ${name} {\n`);
      return checkedIn.slice(start, checkedIn.indexOf('\n}\n', start));
    };
    expect(iface('RouteEntry')).to.include('prefix?: IpPrefix;');
    expect(iface('EndpointEntry')).to.include('ip?: IpAddress;');
    expect(iface('EndpointEntry')).to.include('mac?: Mac;');
    expect(iface('IpsecSaEntry')).to.include('spi?: Spi;');
    expect(iface('IpsecSaEntry')).to.include('key?: Uint8Array;');
    expect(iface('TunnelEntry')).to.include('vni?: Vni;');
    expect(iface('BackendGroupEntry')).to.include('members?: BackendMember[];');
    expect(iface('AclEntry')).to.include('stage?: AclStage;');
  });
});
