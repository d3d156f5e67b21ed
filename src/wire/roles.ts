// Roles from client certificates (hal-spec §16.2). The identity is the
// certificate's URI SAN (SPIFFE style), else its DNS SAN, else its subject CN;
// the operator's roles file maps identities to roles.
import { readFileSync } from 'node:fs';
import type { PeerCertificate } from 'node:tls';
import { HalError } from '../hal/index.js';

export type Role = 'controller' | 'observer';
export const ROLES: readonly Role[] = ['controller', 'observer'];

/** Methods an observer may call ("Service/Method", service without package). */
export const OBSERVER_METHODS: ReadonlySet<string> = new Set([
  'Device/Describe',
  'Device/ListPorts',
  'Device/GetState',
  'Tables/Read',
  'Telemetry/GetCounters',
  'Telemetry/Subscribe',
  'Conntrack/List',
  'Conntrack/Get',
  'Clock/Now',
]);

/**
 * The roles file (JSON):
 *   { "identities": { "spiffe://xpuhal/client/ctl": "controller", "monitor": "observer" } }
 * Keys are identities exactly as identityOf() returns them.
 */
export interface RolesConfig {
  readonly identities: Readonly<Record<string, Role>>;
}

export function parseRoles(text: string, source = 'roles file'): RolesConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw HalError.of('FIELD_INVALID', `${source} is not JSON: ${(e as Error).message}`);
  }
  const ids = (raw as { identities?: unknown } | null)?.identities;
  if (typeof ids !== 'object' || ids === null || Array.isArray(ids)) throw HalError.of('FIELD_MISSING', `${source} needs an "identities" object`, 'identities');
  for (const [id, role] of Object.entries(ids)) {
    if (!ROLES.includes(role as Role)) throw HalError.of('FIELD_INVALID', `${source}: role of "${id}" must be one of ${ROLES.join(', ')}`, `identities.${id}`);
  }
  return { identities: ids as Record<string, Role> };
}

export function loadRoles(path: string): RolesConfig {
  return parseRoles(readFileSync(path, 'utf8'), path);
}

/** URI SAN, else DNS SAN, else CN; undefined when the certificate names nothing. */
export function identityOf(cert: PeerCertificate): string | undefined {
  const sans = (cert.subjectaltname ?? '').split(/,\s*/).filter(Boolean);
  const uri = sans.find((s) => s.startsWith('URI:'));
  if (uri) return uri.slice(4);
  const dns = sans.find((s) => s.startsWith('DNS:'));
  if (dns) return dns.slice(4);
  const cn = cert.subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn || undefined;
}

/** Throws UNAUTHENTICATED/IDENTITY_UNKNOWN or PERMISSION_DENIED/ROLE_FORBIDDEN. */
export function authorize(roles: RolesConfig, identity: string | undefined, method: string): Role {
  const role = identity === undefined ? undefined : roles.identities[identity];
  if (!role || !Object.hasOwn(roles.identities, identity!)) {
    throw HalError.of('IDENTITY_UNKNOWN', identity === undefined ? 'the client certificate names no identity' : `identity "${identity}" has no role on this server`);
  }
  if (role === 'observer' && !OBSERVER_METHODS.has(method)) throw HalError.of('ROLE_FORBIDDEN', `role observer may not call ${method}`);
  return role;
}

/** What role checks need of a grpc-js server call. */
export interface AuthenticatedCall {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate };
}
