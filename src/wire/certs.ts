// Certificates for the wire with the openssl CLI (docs/dependencies.md says
// why): a CA, a server certificate, client certificates with role identities,
// rotation of leaves or of the CA, revocation through CRLs.
//
// DIR/ca.pem            trusted CA bundle (current CA, plus retired ones until `retire-ca`)
// DIR/crl.pem           one CRL per trusted CA (the server checks every chain against them)
// DIR/server.pem, server-key.pem
// DIR/clients/NAME.pem, NAME-key.pem   identity spiffe://xpuhal/client/NAME, CN=NAME
// DIR/roles.json        identity -> role (src/wire/roles.ts)
// DIR/state/            CA keys and openssl databases, manifest.json
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HalError } from '../hal/index.js';
import { TLS_FILES } from './credentials.js';
import { ROLES, type Role } from './roles.js';

export interface ClientSpec {
  readonly name: string;
  readonly role: Role;
}

interface Manifest {
  serverSans: string[];
  clients: ClientSpec[];
  /** CA ids, oldest first; the last is current. */
  cas: string[];
  nextCa: number;
}

export const clientIdentity = (name: string) => `spiffe://xpuhal/client/${name}`;

function openssl(args: string[], cwd?: string): string {
  try {
    return execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${(err.stderr ?? err.message).trim().split('\n').slice(-3).join(' / ')}`);
  }
}

export function parseClientSpec(text: string): ClientSpec {
  const m = /^([A-Za-z0-9._-]{1,64}):([a-z]+)$/.exec(text);
  if (!m || !ROLES.includes(m[2] as Role)) throw HalError.of('FIELD_INVALID', `"${text}" is not NAME:ROLE (role one of ${ROLES.join(', ')})`, 'client');
  return { name: m[1], role: m[2] as Role };
}

const stateDir = (dir: string) => join(dir, 'state');
const caDir = (dir: string, id: string) => join(stateDir(dir), id);
const manifestPath = (dir: string) => join(stateDir(dir), 'manifest.json');

function readManifest(dir: string): Manifest {
  if (!existsSync(manifestPath(dir))) throw HalError.of('ENTRY_NOT_FOUND', `${dir} has no certificates (run \`xpuhal certs init --dir ${dir}\` first)`, 'dir');
  return JSON.parse(readFileSync(manifestPath(dir), 'utf8')) as Manifest;
}

function writeManifest(dir: string, m: Manifest): void {
  writeFileSync(manifestPath(dir), `${JSON.stringify(m, null, 2)}\n`);
}

function newKey(path: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
}

function caConfig(d: string): string {
  return [
    '[ca]',
    'default_ca = xpuhal',
    '[xpuhal]',
    `dir = ${d}`,
    'database = $dir/index.txt',
    'serial = $dir/serial',
    'crlnumber = $dir/crlnumber',
    'new_certs_dir = $dir/issued',
    'certificate = $dir/ca.pem',
    'private_key = $dir/ca-key.pem',
    'default_md = sha256',
    'default_days = 365',
    'default_crl_days = 30',
    'policy = anything',
    'unique_subject = no',
    'copy_extensions = none',
    '[anything]',
    'commonName = supplied',
    '',
  ].join('\n');
}

function createCa(dir: string, id: string): void {
  const d = caDir(dir, id);
  mkdirSync(join(d, 'issued'), { recursive: true });
  writeFileSync(join(d, 'index.txt'), '');
  writeFileSync(join(d, 'serial'), `${Date.now().toString(16).padStart(16, '0')}\n`);
  writeFileSync(join(d, 'crlnumber'), '01\n');
  writeFileSync(join(d, 'openssl.cnf'), caConfig(d));
  newKey(join(d, 'ca-key.pem'));
  openssl([
    'req', '-new', '-x509', '-key', join(d, 'ca-key.pem'), '-out', join(d, 'ca.pem'), '-days', '3650', '-subj', `/CN=xpuhal CA ${id}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  genCrl(dir, id);
}

function genCrl(dir: string, id: string): void {
  const d = caDir(dir, id);
  openssl(['ca', '-config', join(d, 'openssl.cnf'), '-gencrl', '-out', join(d, 'crl.pem'), '-batch']);
}

export interface IssueOptions {
  /** Validity window (openssl YYYYMMDDHHMMSSZ), for expired-certificate tests. */
  readonly startDate?: string;
  readonly endDate?: string;
}

/** Issues a leaf certificate from CA `id`; `ext` is the extension section body. */
function issue(dir: string, id: string, cn: string, ext: string[], keyPath: string, certPath: string, o: IssueOptions = {}): void {
  const d = caDir(dir, id);
  newKey(keyPath);
  const csr = `${certPath}.csr`;
  const extFile = `${certPath}.ext`;
  openssl(['req', '-new', '-key', keyPath, '-out', csr, '-subj', `/CN=${cn}`]);
  writeFileSync(extFile, `[leaf]\nbasicConstraints=critical,CA:FALSE\n${ext.join('\n')}\n`);
  openssl([
    'ca', '-config', join(d, 'openssl.cnf'), '-batch', '-notext', '-in', csr, '-out', certPath, '-extfile', extFile, '-extensions', 'leaf',
    ...(o.startDate ? ['-startdate', o.startDate] : []), ...(o.endDate ? ['-enddate', o.endDate] : []),
  ]);
  rmSync(csr);
  rmSync(extFile);
}

function sanLine(sans: string[]): string {
  return `subjectAltName=${sans.map((s) => (/^[0-9.]+$|:/.test(s) ? `IP:${s}` : `DNS:${s}`)).join(',')}`;
}

function issueServer(dir: string, m: Manifest): void {
  const id = m.cas.at(-1)!;
  issue(dir, id, m.serverSans[0] ?? 'localhost', ['keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', sanLine(m.serverSans)], join(dir, TLS_FILES.serverKey), join(dir, TLS_FILES.serverCert));
}

/** Issues (or re-issues) client NAME's certificate from the current CA. */
export function issueClient(dir: string, name: string, o: IssueOptions = {}): void {
  const m = readManifest(dir);
  mkdirSync(join(dir, 'clients'), { recursive: true });
  issue(dir, m.cas.at(-1)!, name, ['keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth', `subjectAltName=URI:${clientIdentity(name)}`], join(dir, TLS_FILES.clientKey(name)), join(dir, TLS_FILES.clientCert(name)), o);
}

/** ca.pem, crl.pem and roles.json from the manifest. */
function publish(dir: string, m: Manifest): void {
  const bundle = m.cas.map((id) => readFileSync(join(caDir(dir, id), 'ca.pem'), 'utf8')).join('');
  const crls = m.cas.map((id) => readFileSync(join(caDir(dir, id), 'crl.pem'), 'utf8')).join('');
  writeFileSync(join(dir, TLS_FILES.ca), bundle);
  writeFileSync(join(dir, TLS_FILES.crl), crls);
  const identities = Object.fromEntries(m.clients.map((c) => [clientIdentity(c.name), c.role]));
  writeFileSync(join(dir, TLS_FILES.roles), `${JSON.stringify({ identities }, null, 2)}\n`);
}

export interface InitOptions {
  readonly serverSans?: readonly string[];
  readonly clients?: readonly ClientSpec[];
}

/** A new CA, server certificate and client certificates in DIR (refuses to overwrite). */
export function certsInit(dir: string, o: InitOptions = {}): void {
  if (existsSync(manifestPath(dir))) throw HalError.of('ENTRY_EXISTS', `${dir} already holds certificates (use \`xpuhal certs rotate\`)`, 'dir');
  mkdirSync(stateDir(dir), { recursive: true, mode: 0o700 });
  const m: Manifest = { serverSans: [...(o.serverSans?.length ? o.serverSans : ['localhost', '127.0.0.1', '::1'])], clients: [...(o.clients ?? [])], cas: [], nextCa: 1 };
  m.cas.push(`ca${m.nextCa++}`);
  createCa(dir, m.cas[0]);
  writeManifest(dir, m);
  issueServer(dir, m);
  for (const c of m.clients) issueClient(dir, c.name);
  publish(dir, m);
}

export interface RotateOptions {
  /** Also replace the CA; the old CA stays trusted until retireCa. */
  readonly ca?: boolean;
  /** Revoke the replaced leaf certificates at once. */
  readonly revokeOld?: boolean;
}

/** New server and client certificates (new keys); with `ca`, from a new CA. */
export function certsRotate(dir: string, o: RotateOptions = {}): void {
  const m = readManifest(dir);
  const oldCa = m.cas.at(-1)!;
  const old = [join(dir, TLS_FILES.serverCert), ...m.clients.map((c) => join(dir, TLS_FILES.clientCert(c.name)))]
    .filter(existsSync)
    .map((p) => readFileSync(p, 'utf8'));
  if (o.ca) {
    const id = `ca${m.nextCa++}`;
    createCa(dir, id);
    m.cas.push(id);
  }
  writeManifest(dir, m);
  issueServer(dir, m);
  for (const c of m.clients) issueClient(dir, c.name);
  if (o.revokeOld) {
    old.forEach((pem, i) => {
      const p = join(caDir(dir, oldCa), `old-${i}.pem`);
      writeFileSync(p, pem);
      openssl(['ca', '-config', join(caDir(dir, oldCa), 'openssl.cnf'), '-revoke', p, '-batch']);
      rmSync(p);
    });
    genCrl(dir, oldCa);
  }
  publish(dir, m);
}

/** Stops trusting every CA but the current one. */
export function certsRetireCa(dir: string): void {
  const m = readManifest(dir);
  m.cas = [m.cas.at(-1)!];
  writeManifest(dir, m);
  publish(dir, m);
}

/** Revokes a certificate file (PEM) issued by one of DIR's CAs and republishes the CRLs. */
export function certsRevoke(dir: string, certPath: string): void {
  const m = readManifest(dir);
  const issuer = openssl(['x509', '-in', certPath, '-noout', '-issuer']).trim();
  const id = m.cas.find((c) => openssl(['x509', '-in', join(caDir(dir, c), 'ca.pem'), '-noout', '-subject']).trim().replace(/^subject=/, '') === issuer.replace(/^issuer=/, ''));
  if (!id) throw HalError.of('ENTRY_NOT_FOUND', `${certPath} was not issued by a CA of ${dir}`, 'cert');
  openssl(['ca', '-config', join(caDir(dir, id), 'openssl.cnf'), '-revoke', certPath, '-batch']);
  genCrl(dir, id);
  publish(dir, m);
}

/** Adds a client (certificate + role) to an initialised directory. */
export function certsAddClient(dir: string, c: ClientSpec, o: IssueOptions = {}): void {
  const m = readManifest(dir);
  if (!m.clients.some((x) => x.name === c.name)) m.clients.push(c);
  writeManifest(dir, m);
  issueClient(dir, c.name, o);
  publish(dir, m);
}
