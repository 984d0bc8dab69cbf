export interface RoleAssignment {
  orgId?: string;
  groupId?: string;
  roleName: string;
}

export interface ApiKey {
  id: string;
  desc: string;
  publicKey: string;
  /** Masked (`********-****-****-…`) everywhere except in a create response. */
  privateKey: string;
  roles: RoleAssignment[];
  /** Parsed from the self link `/orgs/{orgId}/apiKeys/{id}`; a key belongs to exactly one org. */
  orgId?: string;
}

export interface CreatedApiKey extends ApiKey {
  /** Clear text: Ops Manager returns it only in the create response. */
  privateKey: string;
}

export interface AccessListEntry {
  cidrBlock: string;
  ipAddress: string | null;
  count?: number;
  created?: string;
  lastUsed?: string;
  lastUsedAddress?: string;
}

export type AccessListInput = { ipAddress: string } | { cidrBlock: string };

export interface Project {
  id: string;
  name: string;
  orgId: string;
}

export interface Organization {
  id: string;
  name: string;
}
