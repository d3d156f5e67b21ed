// Independent oracle for our ESP: tshark decrypts the packets we encrypt (given the
// SAs through `-o uat:esp_sa:…`), verifies the ICV and dissects the inner packets.
// Recipe: /work/shared/design/ORACLES.md §4 (checked on TShark 4.0.17).

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IpsecSaEntry } from '../../../src/hal/generated/types.js';
import { EspSa, espProtect } from '../../../src/sim/crypto/index.js';
import { buildFrame, writePcap } from '../../../src/sim/packet/index.js';

const TSHARK = process.env.XPUHAL_TSHARK ?? 'tshark';

function tsharkAvailable(): boolean {
  const r = spawnSync(TSHARK, ['-v'], { encoding: 'utf8' });
  return r.error === undefined && r.status === 0;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (seed * 31 + i * 7) & 0xff);

interface Case {
  sa: EspSa;
  key: Uint8Array;
  salt: Uint8Array;
  family: 'IPv4' | 'IPv6';
}

function makeSa(id: string, spi: number, algorithm: 'AES_GCM_128' | 'AES_GCM_256', mode: 'TUNNEL' | 'TRANSPORT', family: 'IPv4' | 'IPv6', tunnel?: [string, string]): Case {
  const key = bytes(algorithm === 'AES_GCM_128' ? 16 : 32, spi);
  const salt = bytes(4, spi + 1);
  const entry = { id, spi, direction: 'OUTBOUND', mode, algorithm, key, salt } as IpsecSaEntry;
  if (tunnel) Object.assign(entry, { tunnelSrc: tunnel[0], tunnelDst: tunnel[1] });
  return { sa: new EspSa(entry), key, salt, family };
}

// Inner payloads are ASCII so a mistake is readable; ports avoid well-known dissectors.
const UDP_PAYLOAD = 'oracle says udp';
const TCP_PAYLOAD = 'oracle says tcp!';

const FIELDS = [
  'frame.protocols', 'esp.spi', 'esp.sequence', 'esp.pad_len', 'esp.protocol', 'esp.icv_good', 'esp.icv_bad',
  'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'udp.srcport', 'udp.dstport', 'tcp.srcport', 'tcp.dstport', 'data.data', 'tcp.payload',
] as const;
type Field = (typeof FIELDS)[number];

describe('crypto/ESP tshark oracle', function () {
  this.timeout(60_000);
  let dir = '';
  let rows: Record<Field, string>[] = [];

  before(function () {
    if (!tsharkAvailable()) {
      if (process.env.XPUHAL_REQUIRE_ALL_TIERS === '1') {
        throw new Error('tshark oracle required (XPUHAL_REQUIRE_ALL_TIERS=1) but tshark is not installed: apt-get install tshark');
      }
      console.log('SKIPPED ESP tshark oracle: tshark not installed (apt-get install tshark)');
      this.skip();
    }
    const cases = [
      makeSa('t4-128', 0x1001, 'AES_GCM_128', 'TUNNEL', 'IPv4', ['10.0.0.1', '10.0.0.2']),
      makeSa('t4-256', 0x1002, 'AES_GCM_256', 'TUNNEL', 'IPv4', ['10.0.0.1', '10.0.0.2']),
      makeSa('t6-128', 0x1003, 'AES_GCM_128', 'TUNNEL', 'IPv6', ['2001:db8::a', '2001:db8::b']),
      makeSa('x4-128', 0x1004, 'AES_GCM_128', 'TRANSPORT', 'IPv4'),
      makeSa('x6-256', 0x1005, 'AES_GCM_256', 'TRANSPORT', 'IPv6'),
    ];
    const udp4 = (n: number) => buildFrame({ ipv4: { src: '192.168.10.1', dst: '192.168.20.1' }, udp: { sport: 40000 + n, dport: 40100 + n }, payload: `${UDP_PAYLOAD} ${n}` });
    const tcp4 = () => buildFrame({ ipv4: { src: '192.168.10.2', dst: '192.168.20.2' }, tcp: { sport: 41000, dport: 41001, seq: 5, flags: 'PA' }, payload: TCP_PAYLOAD });
    const udp6 = () => buildFrame({ ipv6: { src: 'fd00::1', dst: 'fd00::2' }, udp: { sport: 42000, dport: 42001 }, payload: UDP_PAYLOAD });
    const tcp6 = () => buildFrame({
      ipv6: { src: 'fd00::3', dst: 'fd00::4', extensions: [{ type: 'destination', options: [{ type: 0x1e, data: new Uint8Array(4) }] }] },
      tcp: { sport: 43000, dport: 43001, seq: 9, flags: 'PA' }, payload: TCP_PAYLOAD,
    });
    const protect = (c: Case, f: Uint8Array): Uint8Array => {
      const r = espProtect(c.sa, f);
      if (!r.ok) throw new Error(r.reason);
      return r.frame;
    };
    const frames = [
      protect(cases[0], udp4(1)), // 1
      protect(cases[0], udp4(2)), // 2: seq 2
      protect(cases[1], tcp4()), // 3
      protect(cases[2], udp6()), // 4
      protect(cases[3], udp4(3)), // 5
      protect(cases[4], tcp6()), // 6
    ];
    // 7: a third packet of the first SA with one ciphertext byte flipped (inside the inner UDP payload).
    const tampered = protect(cases[0], udp4(4));
    tampered[tampered.length - 16 - 8] ^= 0x20;
    frames.push(tampered);

    dir = mkdtempSync(join(tmpdir(), 'xpuhal-esp-tshark-'));
    const pcap = join(dir, 'esp.pcap');
    writeFileSync(pcap, writePcap(frames.map((frame, i) => ({ timeNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n, frame }))));
    const uat = cases.flatMap((c) => [
      '-o',
      `uat:esp_sa:"${c.family}","*","*","0x${c.sa.spi.toString(16).padStart(8, '0')}","AES-GCM with 16 octet ICV [RFC4106]","0x${hex(c.key)}${hex(c.salt)}","NULL",""`,
    ]);
    const r = spawnSync(TSHARK, [
      '-r', pcap, '-o', 'esp.enable_encryption_decode:TRUE', '-o', 'esp.enable_authentication_check:TRUE', ...uat,
      '-o', 'tcp.analyze_sequence_numbers:FALSE', '-T', 'fields', '-E', 'separator=\t', ...FIELDS.flatMap((f) => ['-e', f]),
    ], { encoding: 'utf8', env: { ...process.env, WIRESHARK_CONFIG_DIR: mkdtempSync(join(dir, 'wscfg-')) } });
    expect(r.status, r.stderr).to.equal(0);
    rows = r.stdout.split('\n').filter((l) => l.length > 0).map((line) => {
      const cols = line.split('\t');
      return Object.fromEntries(FIELDS.map((f, i) => [f, cols[i] ?? ''])) as Record<Field, string>;
    });
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ascii = (s: string): string => Buffer.from(s).toString('hex');

  it('decrypts tunnel mode AES-128 (IPv4 in IPv4) and verifies the ICV; sequence numbers count from 1', () => {
    expect(rows).to.have.length(7);
    for (const [i, n] of [[0, 1], [1, 2]] as const) {
      const r = rows[i];
      expect(r['frame.protocols']).to.equal('eth:ethertype:ip:esp:ip:udp:data');
      expect([r['esp.spi'], r['esp.sequence'], r['esp.protocol'], r['esp.icv_good'], r['esp.icv_bad']]).to.deep.equal(['0x00001001', String(n), '0x04', '1', '0']);
      expect(r['ip.src']).to.equal('10.0.0.1,192.168.10.1');
      expect(r['ip.dst']).to.equal('10.0.0.2,192.168.20.1');
      expect([r['udp.srcport'], r['udp.dstport']]).to.deep.equal([String(40000 + n), String(40100 + n)]);
      expect(r['data.data']).to.equal(ascii(`${UDP_PAYLOAD} ${n}`));
    }
  });

  it('decrypts tunnel mode AES-256 with inner TCP', () => {
    const r = rows[2];
    expect(r['frame.protocols']).to.equal('eth:ethertype:ip:esp:ip:tcp:data');
    expect([r['esp.spi'], r['esp.icv_good'], r['esp.icv_bad']]).to.deep.equal(['0x00001002', '1', '0']);
    expect(r['ip.src']).to.equal('10.0.0.1,192.168.10.2');
    expect([r['tcp.srcport'], r['tcp.dstport'], r['tcp.payload']]).to.deep.equal(['41000', '41001', ascii(TCP_PAYLOAD)]);
  });

  it('decrypts tunnel mode with an IPv6 outer header (next header 41)', () => {
    const r = rows[3];
    expect(r['frame.protocols']).to.equal('eth:ethertype:ipv6:esp:ipv6:udp:data');
    expect([r['esp.spi'], r['esp.protocol'], r['esp.icv_good']]).to.deep.equal(['0x00001003', '0x29', '1']);
    expect(r['ipv6.src']).to.equal('2001:db8::a,fd00::1');
    expect(r['ipv6.dst']).to.equal('2001:db8::b,fd00::2');
    expect(r['data.data']).to.equal(ascii(UDP_PAYLOAD));
  });

  it('decrypts transport mode over IPv4 (UDP) and over IPv6 after a destination-options header (TCP, AES-256)', () => {
    const a = rows[4];
    expect(a['frame.protocols']).to.equal('eth:ethertype:ip:esp:udp:data');
    expect([a['esp.spi'], a['esp.protocol'], a['esp.icv_good'], a['ip.src'], a['ip.dst']]).to.deep.equal(['0x00001004', '0x11', '1', '192.168.10.1', '192.168.20.1']);
    expect([a['udp.srcport'], a['udp.dstport'], a['data.data']]).to.deep.equal(['40003', '40103', ascii(`${UDP_PAYLOAD} 3`)]);
    const b = rows[5];
    expect(b['frame.protocols']).to.equal('eth:ethertype:ipv6:ipv6.dstopts:esp:tcp:data');
    expect([b['esp.spi'], b['esp.protocol'], b['esp.icv_good'], b['ipv6.src'], b['ipv6.dst']]).to.deep.equal(['0x00001005', '0x06', '1', 'fd00::3', 'fd00::4']);
    expect([b['tcp.srcport'], b['tcp.dstport'], b['tcp.payload']]).to.deep.equal(['43000', '43001', ascii(TCP_PAYLOAD)]);
  });

  it('a tampered packet fails the ICV check and does not yield the original payload', () => {
    const r = rows[6];
    expect([r['esp.spi'], r['esp.sequence'], r['esp.icv_good'], r['esp.icv_bad']]).to.deep.equal(['0x00001001', '3', '0', '1']);
    expect(r['data.data']).to.not.equal(ascii(`${UDP_PAYLOAD} 4`));
  });
});
