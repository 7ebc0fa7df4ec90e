import { GraphQLDateTimeISO, Length, MaxLength } from '@bulwark/platform-api';
import { ArrayMaxSize, IsBoolean, IsIn, IsOptional, IsUrl, Matches, ValidateNested } from 'class-validator';
import { Field, ID, InputType, ObjectType } from 'type-graphql';

/** A role as people pass it: a built-in role's name (lower case) or a custom role's key. */
const ROLE_KEY = /^([a-z_]{1,30}|role:[0-9a-f-]{36})$/;
const ROLE_MESSAGE = 'A role is a built-in role in lower case (agent, light_agent, …) or a custom role’s key (role:<id>)';

@ObjectType('SsoRoleRule', { description: 'People whose role claim holds `value` get `role`' })
export class SsoRoleRule {
  @Field() value!: string;
  @Field() role!: string;
}

@ObjectType('SsoGroupRule', { description: 'People whose group claim holds `value` are in the group' })
export class SsoGroupRule {
  @Field() value!: string;
  @Field(() => ID) groupId!: string;
}

@ObjectType('SsoMapping', { description: "Role and groups from the provider's claims, applied at every sign-in" })
export class SsoMappingView {
  @Field(() => String, { nullable: true, description: 'The claim (OIDC) or attribute (SAML, JWT) holding roles' }) roleClaim?: string | null;
  @Field(() => [SsoRoleRule]) roles!: SsoRoleRule[];
  @Field(() => String, { nullable: true, description: 'The claim or attribute holding groups' }) groupClaim?: string | null;
  @Field(() => [SsoGroupRule]) groups!: SsoGroupRule[];
}

@ObjectType('SsoEndpoint', { description: 'A URL of ours to give the identity provider' })
export class SsoEndpoint {
  @Field({ description: 'What the provider calls it' }) label!: string;
  @Field() url!: string;
}

@ObjectType('OidcConnectionSettings')
export class OidcSettingsView {
  @Field() issuer!: string;
  @Field() clientId!: string;
  @Field(() => [String]) scopes!: string[];
  @Field({ description: 'A client secret is stored (sealed; never shown again)' }) hasClientSecret!: boolean;
}

@ObjectType('SamlConnectionSettings')
export class SamlSettingsView {
  @Field() idpEntityId!: string;
  @Field() idpSsoUrl!: string;
  @Field(() => String, { nullable: true }) idpSloUrl?: string | null;
  @Field(() => String, { nullable: true, description: 'Where the metadata was read from, when given by URL' }) metadataUrl?: string | null;
  @Field(() => [String], { description: "SHA-256 fingerprints of the provider's signing certificates" }) certificateFingerprints!: string[];
  @Field({ description: 'Sign-ins the provider starts (unsolicited responses) are accepted' }) allowIdpInitiated!: boolean;
}

@ObjectType('JwtConnectionSettings')
export class JwtSettingsView {
  @Field({ description: 'Your sign-in page, where people are sent to get a JWT' }) remoteLoginUrl!: string;
  @Field(() => String, { nullable: true }) remoteLogoutUrl?: string | null;
}

@ObjectType('SsoConnection', { description: 'One way the workspace signs people in through an identity provider' })
export class SsoConnectionView {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field({ description: 'oidc, saml or jwt' }) kind!: string;
  @Field() enabled!: boolean;
  @Field({ description: 'Shown as a button on the sign-in page' }) showButton!: boolean;
  @Field(() => [String], { description: 'Email domains signed in through this connection' }) domains!: string[];
  @Field({ description: 'A first sign-in of an unknown person creates their account' }) provisionUsers!: boolean;
  @Field({ description: 'The role of accounts it creates when no mapping rule matches' }) defaultRole!: string;
  @Field({ description: 'A first sign-in may link an existing account with the same verified email' }) linkByEmail!: boolean;
  @Field(() => SsoMappingView) mapping!: SsoMappingView;
  @Field(() => OidcSettingsView, { nullable: true }) oidc?: OidcSettingsView | null;
  @Field(() => SamlSettingsView, { nullable: true }) saml?: SamlSettingsView | null;
  @Field(() => JwtSettingsView, { nullable: true }) jwt?: JwtSettingsView | null;
  @Field(() => [SsoEndpoint], { description: 'Our URLs to copy into the provider' }) endpoints!: SsoEndpoint[];
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
  @Field(() => GraphQLDateTimeISO) updatedAt!: Date;
}

@InputType()
export class SsoRoleRuleInput {
  @Field() @Length(1, 200, { message: 'A value is 1 to 200 characters' }) value!: string;
  @Field() @Matches(ROLE_KEY, { message: ROLE_MESSAGE }) role!: string;
}

@InputType()
export class SsoGroupRuleInput {
  @Field() @Length(1, 200, { message: 'A value is 1 to 200 characters' }) value!: string;
  @Field(() => ID) @Length(36, 36, { message: 'Choose a group' }) groupId!: string;
}

@InputType()
export class SsoMappingInput {
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(200) roleClaim?: string | null;
  @Field(() => [SsoRoleRuleInput]) @ArrayMaxSize(100) @ValidateNested({ each: true }) roles: SsoRoleRuleInput[] = [];
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(200) groupClaim?: string | null;
  @Field(() => [SsoGroupRuleInput]) @ArrayMaxSize(200) @ValidateNested({ each: true }) groups: SsoGroupRuleInput[] = [];
}

@InputType()
export class OidcSettingsInput {
  @Field({ description: "The provider's issuer URL (discovery reads <issuer>/.well-known/openid-configuration)" })
  @MaxLength(500)
  issuer!: string;
  @Field() @Length(1, 255, { message: 'Give the client ID your provider shows for this application' }) clientId!: string;
  @Field(() => String, { nullable: true, description: 'Leave empty to keep the stored secret' }) @IsOptional() @MaxLength(1000) clientSecret?: string | null;
  @Field(() => [String]) @ArrayMaxSize(20) @Matches(/^[\x21-\x7e]{1,100}$/, { each: true }) scopes: string[] = [];
}

@InputType()
export class SamlSettingsInput {
  @Field(() => String, { nullable: true, description: "The provider's metadata XML (upload)" }) @IsOptional() @MaxLength(200_000) metadataXml?: string | null;
  @Field(() => String, { nullable: true, description: "Or the URL to read the provider's metadata from" }) @IsOptional() @MaxLength(500) metadataUrl?: string | null;
  @Field({ defaultValue: false, description: 'Accept sign-ins the provider starts (unsolicited responses)' }) @IsBoolean() allowIdpInitiated: boolean = false;
}

@InputType()
export class JwtSettingsInput {
  @Field()
  @MaxLength(500, { message: 'A URL is at most 500 characters' })
  @IsUrl({ require_tld: false, protocols: ['https', 'http'], require_protocol: true }, { message: 'Enter a full URL, like https://example.com/sign-in' })
  remoteLoginUrl!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(500) remoteLogoutUrl?: string | null;
  @Field(() => String, { nullable: true, description: 'The shared secret (32+ characters); leave empty to keep the stored one' })
  @IsOptional()
  @Length(32, 200, { message: 'The shared secret is 32 to 200 characters' })
  sharedSecret?: string | null;
}

@InputType()
export class SsoConnectionInput {
  @Field() @Length(1, 80, { message: 'Give the connection a name of up to 80 characters' }) name!: string;
  @Field({ description: 'oidc, saml or jwt (fixed once created)' }) @IsIn(['oidc', 'saml', 'jwt'], { message: 'The kind is oidc, saml or jwt' }) kind!: string;
  @Field({ defaultValue: false }) @IsBoolean() enabled: boolean = false;
  @Field({ defaultValue: true }) @IsBoolean() showButton: boolean = true;
  @Field(() => [String], { description: 'Email domains, like example.com (a leading @ and capitals are fine)' }) @ArrayMaxSize(50) @Matches(/^@?[a-z0-9.-]{1,253}$/i, { each: true, message: 'A domain is like example.com (no https:// and no user@)' }) domains: string[] = [];
  @Field({ defaultValue: true }) @IsBoolean() provisionUsers: boolean = true;
  @Field({ defaultValue: 'requester' }) @Matches(ROLE_KEY, { message: ROLE_MESSAGE }) defaultRole: string = 'requester';
  @Field({ defaultValue: false }) @IsBoolean() linkByEmail: boolean = false;
  @Field(() => SsoMappingInput, { nullable: true }) @IsOptional() @ValidateNested() mapping?: SsoMappingInput | null;
  @Field(() => OidcSettingsInput, { nullable: true }) @IsOptional() @ValidateNested() oidc?: OidcSettingsInput | null;
  @Field(() => SamlSettingsInput, { nullable: true }) @IsOptional() @ValidateNested() saml?: SamlSettingsInput | null;
  @Field(() => JwtSettingsInput, { nullable: true }) @IsOptional() @ValidateNested() jwt?: JwtSettingsInput | null;
}

@ObjectType('SsoCheck')
export class SsoCheck {
  @Field() name!: string;
  @Field() ok!: boolean;
  @Field() message!: string;
}

@ObjectType('SsoTestResult', { description: "What testing a connection found: the provider's configuration, read as a sign-in would" })
export class SsoTestResult {
  @Field() ok!: boolean;
  @Field(() => [SsoCheck]) checks!: SsoCheck[];
}

@ObjectType('SsoMappingPreviewGroup')
export class SsoMappingPreviewGroup {
  @Field(() => ID) id!: string;
  @Field() name!: string;
}

@ObjectType('SsoMappingPreview', { description: 'What a mapping would make of a sample of claims' })
export class SsoMappingPreview {
  @Field(() => String, { nullable: true, description: 'The role the claims map to; null: none matched (new accounts get the default)' }) role?: string | null;
  @Field(() => [SsoMappingPreviewGroup]) groups!: SsoMappingPreviewGroup[];
}

@ObjectType('SsoSignInButton')
export class SsoSignInButton {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field({ description: 'Where the browser goes to sign in through it' }) startUrl!: string;
}

@ObjectType('SsoSignInOptions', { description: "How the sign-in page offers a workspace's single sign-on" })
export class SsoSignInOptions {
  @Field(() => [SsoSignInButton], { description: 'Connections shown as buttons' }) buttons!: SsoSignInButton[];
  @Field(() => SsoSignInButton, { nullable: true, description: "The connection that serves the email's domain, if any: the page goes straight there" })
  forEmail?: SsoSignInButton | null;
}
