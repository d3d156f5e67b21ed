// Independent oracle: tshark must decode the frames we build (and rewrite) the
// way we meant, with every checksum Good and no malformed/expert warnings.
// Recipes: /work/shared/design/ORACLES.md (checked on TShark 4.0.17).

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePacket, writePcap } from '../../../src/sim/packet/index.js';
import { oracleFrames } from './helpers.js';

// XPUHAL_TSHARK overrides the binary (e.g. a specific build, or a bogus path to exercise the skip).
const TSHARK = process.env.XPUHAL_TSHARK ?? 'tshark';

function tsharkAvailable(): boolean {
  const r = spawnSync(TSHARK, ['-v'], { encoding: 'utf8' });
  return r.error === undefined && r.status === 0;
}


const FIELDS = [
  'frame.protocols', 'vxlan.vni', 'geneve.vni', 'geneve.option.class', 'geneve.option.type', 'geneve.option.unknown.data',
  'ip.src', 'ip.dst', 'ip.ttl', 'ipv6.src', 'ipv6.dst', 'ipv6.hopopts.nxt', 'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw',
  'udp.srcport', 'udp.dstport', 'sctp.verification_tag', 'icmpv6.echo.identifier',
  'ip.checksum.status', 'udp.checksum.status', 'tcp.checksum.status', 'sctp.checksum.status', 'icmpv6.checksum.status',
] as const;
type Field = (typeof FIELDS)[number];

const PREFS = [
  '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE',
  '-o', 'sctp.checksum:CRC 32c', '-o', 'tcp.analyze_sequence_numbers:FALSE',
];

describe('packet/tshark oracle', function () {
  this.timeout(60_000);
  let dir = '';
  let pcap = '';
  let env: NodeJS.ProcessEnv = {};

  before(function () {
    if (!tsharkAvailable()) {
      if (process.env.XPUHAL_REQUIRE_ALL_TIERS === '1') {
        throw new Error('tshark oracle required (XPUHAL_REQUIRE_ALL_TIERS=1) but tshark is not installed: apt-get install tshark');
      }
      console.log('SKIPPED tshark oracle: tshark not installed (apt-get install tshark)');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'xpuhal-tshark-'));
    pcap = join(dir, 'codec.pcap');
    writeFileSync(pcap, writePcap(oracleFrames().map((frame, i) => ({ timeNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n, frame }))));
    // A private config dir keeps personal Wireshark settings out of the verdict.
    env = { ...process.env, WIRESHARK_CONFIG_DIR: mkdtempSync(join(dir, 'wscfg-')) };
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Run tshark and return stdout lines (stderr carries the root warning and is ignored). */
  function tshark(args: string[]): string[] {
    const r = spawnSync(TSHARK, ['-r', pcap, ...PREFS, ...args], { encoding: 'utf8', env });
    expect(r.status, r.stderr).to.equal(0);
    return r.stdout.split('\n').filter((l) => l.length > 0);
  }

  function rows(): Record<Field, string>[] {
    const lines = tshark(['-T', 'fields', '-E', 'separator=\t', ...FIELDS.flatMap((f) => ['-e', f])]);
    return lines.map((line) => {
      const cols = line.split('\t');
      return Object.fromEntries(FIELDS.map((f, i) => [f, cols[i] ?? ''])) as Record<Field, string>;
    });
  }

  it('decodes every frame as intended with all checksums Good', () => {
    const [vx, gen, nat, hbh, sctp, icmp] = rows();

    expect(vx['frame.protocols']).to.equal('eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:tcp');
    expect(vx['vxlan.vni']).to.equal('5001');
    expect(vx['ip.src']).to.equal('10.0.0.1,192.168.1.10');
    expect(vx['ip.dst']).to.equal('10.0.0.2,192.168.1.20');
    expect(vx['tcp.srcport']).to.equal('12345');
    expect(vx['tcp.dstport']).to.equal('80');
    expect(vx['tcp.seq_raw']).to.equal('1000');
    expect(vx['udp.dstport']).to.equal('4789');
    expect(vx['ip.checksum.status']).to.equal('1,1');
    expect(vx['udp.checksum.status']).to.equal('1');
    expect(vx['tcp.checksum.status']).to.equal('1');

    expect(gen['frame.protocols']).to.equal('eth:ethertype:ip:udp:geneve:eth:ethertype:ip:udp:data');
    expect(gen['geneve.vni']).to.equal('0x123456');
    expect(gen['geneve.option.class']).to.equal('0x0103');
    expect(gen['geneve.option.type']).to.equal('0x01');
    expect(gen['geneve.option.unknown.data']).to.equal('deadbeef');
    expect(gen['ip.src']).to.equal('10.1.0.1,172.16.0.1');
    expect(gen['udp.srcport']).to.equal('40001,40000');
    expect(gen['udp.dstport']).to.equal('6081,6000');
    expect(gen['ip.checksum.status']).to.equal('1,1');
    expect(gen['udp.checksum.status']).to.equal('1,1');

    expect(nat['frame.protocols']).to.equal('eth:ethertype:ip:tcp:http');
    expect(nat['ip.src']).to.equal('10.0.0.9');
    expect(nat['ip.dst']).to.equal('10.244.1.7');
    expect(nat['ip.ttl']).to.equal('63');
    expect(nat['tcp.srcport']).to.equal('61000');
    expect(nat['tcp.dstport']).to.equal('8080');
    expect(nat['tcp.seq_raw']).to.equal('4242');
    expect(nat['ip.checksum.status']).to.equal('1');
    expect(nat['tcp.checksum.status']).to.equal('1');

    expect(hbh['frame.protocols']).to.equal('eth:ethertype:ipv6:ipv6.hopopts:tcp');
    expect(hbh['ipv6.src']).to.equal('2001:db8::1');
    expect(hbh['ipv6.dst']).to.equal('2001:db8::2');
    expect(hbh['ipv6.hopopts.nxt']).to.equal('6');
    expect(hbh['tcp.srcport']).to.equal('40000');
    expect(hbh['tcp.dstport']).to.equal('443');
    expect(hbh['tcp.seq_raw']).to.equal('7777');
    expect(hbh['tcp.checksum.status']).to.equal('1');

    expect(sctp['frame.protocols']).to.equal('eth:ethertype:ip:sctp:data');
    expect(sctp['sctp.verification_tag']).to.equal('0xdeadbeef');
    expect(sctp['sctp.checksum.status']).to.equal('1');
    expect(sctp['ip.checksum.status']).to.equal('1');

    expect(icmp['frame.protocols']).to.equal('eth:ethertype:ipv6:icmpv6:data');
    expect(icmp['icmpv6.echo.identifier']).to.equal('0x1234');
    expect(icmp['icmpv6.checksum.status']).to.equal('1');
  });

  it('reports no malformed frames and no expert warnings', () => {
    expect(tshark(['-Y', '_ws.malformed || _ws.expert.severity >= warning', '-T', 'fields', '-e', 'frame.number', '-e', '_ws.expert.message'])).to.deep.equal([]);
  });

  it('negative control: a corrupted checksum is reported Bad, so validation really is on', () => {
    const bad = oracleFrames()[2];
    bad[bad.length - 1] ^= 0xff;
    const badPcap = join(dir, 'bad.pcap');
    writeFileSync(badPcap, writePcap([{ timeNs: 0n, frame: bad }]));
    const r = spawnSync(TSHARK, ['-r', badPcap, ...PREFS, '-T', 'fields', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status'], { encoding: 'utf8', env });
    expect(r.stdout.trim()).to.equal('1\t0');
    expect(parsePacket(bad)).to.deep.include({ ok: false, reason: 'bad-tcp-checksum' });
  });

  it('our own parser agrees on the frames tshark read', () => {
    for (const f of oracleFrames()) expect(parsePacket(f).ok).to.equal(true);
  });
});
