import { Entity, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { TenantScoped } from '@bulwark/platform-api';
import { User } from '@bulwark/identity-api';
import { randomUUID } from 'node:crypto';

export type SsoKind = 'oidc' | 'saml' | 'jwt';

/** OpenID Connect: discovery from the issuer; the client secret is sealed in `secretSealed`. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** Extra scopes beyond `openid email profile`. */
  scopes?: string[];
}

/** SAML 2.0: the identity provider's metadata (uploaded or fetched), read into what we check. */
export interface SamlSettings {
  idpEntityId: string;
  idpSsoUrl: string;
  idpSloUrl?: string | null;
  /** PEM bodies (base64, no armour) of the IdP's signing certificates. */
  idpCertificates: string[];
  /** Where the metadata came from, when fetched by URL (re-read on save). */
  metadataUrl?: string | null;
  /** Assertions the IdP sends unasked (IdP-initiated sign-in); refused unless allowed. */
  allowIdpInitiated: boolean;
}

/** JWT SSO (Zendesk's): the tenant's remote sign-in page signs an HS256 JWT with the shared secret. */
export interface JwtSettings {
  remoteLoginUrl: string;
  remoteLogoutUrl?: string | null;
}

/** Role and group mapping from an IdP claim (OIDC) or attribute (SAML, JWT). */
export interface SsoMapping {
  roleClaim?: string | null;
  /** First matching value wins; no match: the connection's default role. */
  roles: { value: string; role: string }[];
  groupClaim?: string | null;
  groups: { value: string; groupId: string }[];
}

/** One way a tenant's people sign in through their identity provider. */
@Entity({ tableName: 'sso_connections' })
export class SsoConnection extends TenantScoped {
  @PrimaryKey({ type: 'uuid' }) id: string = randomUUID();
  @Property({ type: 'text' }) name!: string;
  @Property({ type: 'text' }) kind!: SsoKind;
  @Property({ type: 'boolean' }) enabled: Opt<boolean> = false;
  /** Shown as a button on the sign-in page (else reached by email domain only). */
  @Property({ type: 'boolean' }) showButton: Opt<boolean> = true;
  /** Email domains it serves, lower-cased: the sign-in page routes these addresses here. */
  @Property({ type: 'text[]' }) domains: Opt<string[]> = [];
  @Property({ type: 'json' }) settings!: OidcSettings | SamlSettings | JwtSettings;
  /** The OIDC client secret or the JWT shared secret, sealed (platform sealing.ts). */
  @Property({ type: 'text', nullable: true, hidden: true }) secretSealed?: string | null;
  /** Just-in-time provisioning: a first sign-in of an unknown person creates their account. */
  @Property({ type: 'boolean' }) provisionUsers: Opt<boolean> = true;
  @Property({ type: 'text' }) defaultRole: Opt<string> = 'requester';
  /** A first sign-in may link to an existing account with the IdP-verified email (off by default: C4). */
  @Property({ type: 'boolean' }) linkByEmail: Opt<boolean> = false;
  @Property({ type: 'json' }) mapping: Opt<SsoMapping> = { roles: [], groups: [] };
  /**
   * What whoever last saved the connection may do (their permissions then): it signs in nobody
   * whose role holds more, and hands out no role that does (federation.service.ts).
   */
  @Property({ type: 'text[]' }) editorPermissions: Opt<string[]> = [];
  /** The role of whoever last saved it: owners sign in only through connections an owner saved. */
  @Property({ type: 'text', nullable: true }) editorRole?: string | null;
  @Property({ type: 'timestamptz' }) createdAt!: Date;
  @Property({ type: 'timestamptz' }) updatedAt!: Date;
}

/** A person's identity at a connection's provider: keyed by (connection, subject), never by email (C4). */
@Entity({ tableName: 'sso_identities' })
export class SsoIdentity extends TenantScoped {
  @PrimaryKey({ type: 'uuid' }) id: string = randomUUID();
  @ManyToOne(() => SsoConnection, { fieldName: 'connection_id', deleteRule: 'cascade' }) connection!: SsoConnection;
  @Property({ type: 'text' }) subject!: string;
  @ManyToOne(() => User, { fieldName: 'user_id', deleteRule: 'cascade' }) user!: User;
  /** The email the provider last asserted (for people reading the audit, not for matching). */
  @Property({ type: 'text' }) email!: string;
  @Property({ type: 'timestamptz' }) createdAt!: Date;
  @Property({ type: 'timestamptz' }) lastSignInAt!: Date;
}

/**
 * A sign-in we started and wait to hear back about: single-use, short-lived. `state` (OIDC) or the
 * AuthnRequest id (SAML) finds it; only the SHA-256 of the state is stored.
 */
@Entity({ tableName: 'sso_requests' })
export class SsoRequest extends TenantScoped {
  @PrimaryKey({ type: 'uuid' }) id: string = randomUUID();
  @ManyToOne(() => SsoConnection, { fieldName: 'connection_id', deleteRule: 'cascade' }) connection!: SsoConnection;
  @Property({ type: 'bytea' }) stateHash!: Buffer;
  /** SHA-256 of the browser-binding cookie set at the start (OIDC): a callback from another browser fails. */
  @Property({ type: 'bytea', nullable: true }) browserHash?: Buffer | null;
  @Property({ type: 'text', nullable: true, hidden: true }) nonce?: string | null;
  @Property({ type: 'text', nullable: true, hidden: true }) codeVerifier?: string | null;
  /** The SAML AuthnRequest's ID, which the response's InResponseTo must name. */
  @Property({ type: 'text', nullable: true }) samlRequestId?: string | null;
  /**
   * `reauth`: the person confirms who they are for a sensitive operation (B8) through their
   * provider instead of a password; the provider is asked to authenticate them afresh.
   */
  @Property({ type: 'text', nullable: true }) intent?: 'reauth' | null;
  /** A console path to return to after sign-in (relative, checked). */
  @Property({ type: 'text', nullable: true }) returnTo?: string | null;
  @Property({ type: 'timestamptz' }) createdAt!: Date;
  @Property({ type: 'timestamptz' }) expiresAt!: Date;
}
