import { STATUS_CODES } from 'node:http';

/** An Ops Manager API error: rendered as `{"detail","error","errorCode","parameters","reason"}`. */
export class ApiError extends Error {
  readonly code: string;
  constructor(
    readonly status: number,
    code: string,
    readonly detail: string,
    readonly parameters: string[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${code}: ${detail}`);
    this.code = code;
    this.name = 'ApiError';
  }

  body(): { detail: string; error: number; errorCode: string; parameters: string[]; reason: string } {
    return {
      detail: this.detail,
      error: this.status,
      errorCode: this.code,
      parameters: this.parameters,
      reason: STATUS_CODES[this.status] ?? 'Error',
    };
  }
}

export const API_PREFIX = '/api/public/v1.0';

export const errors = {
  resourceNotFound: (path: string) =>
    new ApiError(404, 'RESOURCE_NOT_FOUND', `Cannot find resource ${path}.`, [path]),
  methodNotAllowed: (method: string, path: string) =>
    new ApiError(405, 'METHOD_NOT_ALLOWED', `Method ${method} is not allowed on ${path}.`, [method, path]),
  orgNotFound: (id: string) => new ApiError(404, 'ORG_NOT_FOUND', `No organization with ID ${id} exists.`, [id]),
  groupNotFound: (id: string) => new ApiError(404, 'GROUP_NOT_FOUND', `No group with ID ${id} exists.`, [id]),
  invalidGroupId: (id: string) =>
    new ApiError(404, 'INVALID_GROUP_ID', `An invalid group ID ${id} was specified.`, [id]),
  // Ops Manager documents 400 here (Atlas answers 404); we follow the Ops Manager page.
  apiKeyNotFound: (id: string) => new ApiError(400, 'API_KEY_NOT_FOUND', `No API key with ID ${id} exists.`, [id]),
  accessListEntryNotFound: (keyId: string, entry: string) =>
    new ApiError(404, 'API_KEY_ACCESS_LIST_NOT_FOUND', `IP address ${entry} not in access list for API key ${keyId}.`, [keyId, entry]),
  addressAlreadyInList: (entry: string) =>
    new ApiError(409, 'ADDRESS_ALREADY_IN_ACCESS_LIST', `Address ${entry} is already in the access list.`, [entry]),
  duplicateAddresses: (entry: string) =>
    new ApiError(400, 'DUPLICATE_ADDRESSES_IN_INPUT', `Address ${entry} is specified more than once.`, [entry]),
  badAccessListAdd: () =>
    new ApiError(400, 'BAD_ACCESS_LIST_ADD_REQUEST', 'Each access list entry must specify exactly one of ipAddress or cidrBlock.'),
  cannotRemoveCaller: (entry: string) =>
    new ApiError(400, 'CANNOT_REMOVE_CALLER_FROM_ACCESS_LIST', `Cannot remove the caller's address ${entry} from the access list.`, [entry]),
  ipNotOnAccessList: (address: string) =>
    new ApiError(403, 'IP_ADDRESS_NOT_ON_ACCESS_LIST', `IP address ${address} is not allowed to access this resource.`, [address]),
  invalidEnumValue: (value: string, field: string) =>
    new ApiError(400, 'INVALID_ENUM_VALUE', `An invalid enumeration value ${value} was specified.`, [value, field]),
  invalidRoleForGroup: (role: string) =>
    new ApiError(400, 'INVALID_ROLE_FOR_GROUP', `Role ${role} cannot be assigned in a group.`, [role]),
  roleNeedsGroupId: (role: string) =>
    new ApiError(400, 'ROLE_NEEDS_GROUP_ID', `Role ${role} requires a group ID.`, [role]),
  invalidAttribute: (name: string, why = '') =>
    new ApiError(400, 'INVALID_ATTRIBUTE', `Invalid attribute ${name} specified.${why ? ' ' + why : ''}`, [name]),
  missingAttribute: (name: string) =>
    new ApiError(400, 'MISSING_ATTRIBUTE', `The required attribute ${name} was not specified.`, [name]),
  invalidJson: () => new ApiError(400, 'INVALID_JSON', 'Received JSON is malformed.'),
  invalidQueryParameter: (name: string, value: string, why: string) =>
    new ApiError(400, 'INVALID_QUERY_PARAMETER', `Invalid query parameter ${name}=${value}: ${why}`, [name, value]),
  tooManyApiKeys: (orgId: string, max: number) =>
    new ApiError(409, 'TOO_MANY_API_KEYS', `Organization ${orgId} cannot have more than ${max} API keys.`, [orgId, String(max)]),
  // Not documented by Ops Manager: our own distinguishable code (see README).
  apiKeyInOtherOrg: (keyId: string, groupId: string) =>
    new ApiError(409, 'API_KEY_NOT_IN_GROUP_ORG', `API key ${keyId} belongs to another organization than group ${groupId}.`, [keyId, groupId]),
  unauthenticated: (challenge: string) =>
    new ApiError(401, 'USER_UNAUTHORIZED', 'You are not authorized for this resource.', [], { 'WWW-Authenticate': challenge }),
  notAuthorized: () => new ApiError(401, 'USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.'),
  notOrgAdmin: (orgId: string) =>
    new ApiError(403, 'NOT_ORG_ADMIN', `The current user is not an owner of organization ${orgId}.`, [orgId]),
  notGroupUserAdmin: (groupId: string) =>
    new ApiError(403, 'NOT_GROUP_USER_ADMIN', `The current user is not a user administrator of group ${groupId}.`, [groupId]),
  rateLimited: () =>
    new ApiError(429, 'RATE_LIMITED', 'Resource /api/public/v1.0 is limited to 100 requests every 1 minutes.', ['/api/public/v1.0', '100', '1']),
  unexpected: () => new ApiError(500, 'UNEXPECTED_ERROR', 'Unexpected error.'),
  badGateway: () => new ApiError(502, 'BAD_GATEWAY', 'Bad gateway.'),
  serviceUnavailable: () => new ApiError(503, 'SERVICE_UNAVAILABLE', 'Service unavailable.'),
  payloadTooLarge: () => new ApiError(413, 'INVALID_JSON', 'Request body too large.'),
};
