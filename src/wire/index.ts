// The HAL over gRPC: server, remote client, credentials, roles, certificates.
export { HalServer, isLoopbackHost, splitHostPort, type ServeOptions } from './server.js';
export { RemoteHal, type RemoteHalOptions } from './client.js';
export { ReloadableServerCredentials, TLS_FILES, clientCredentials, clientFiles, serverContextOptions, type ClientTlsFiles } from './credentials.js';
export { OBSERVER_METHODS, authorize, identityOf, loadRoles, parseRoles, type Role, type RolesConfig } from './roles.js';
export { STATUS_DETAILS_KEY, decodeStatusDetails, encodeStatusDetails, fromServiceError, toServiceError } from './status-details.js';
export { certsAddClient, certsInit, certsRetireCa, certsRevoke, certsRotate, clientIdentity, issueClient, parseClientSpec, type ClientSpec } from './certs.js';
