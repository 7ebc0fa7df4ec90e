import { ArrayMaxSize, IsBoolean, IsEmail, IsNotEmpty, IsOptional, IsUUID } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { GraphQLDateTimeISO, MaxLength, PermissionEnum } from '@bulwark/platform-api';
import type { User } from './user.entity';

@ObjectType('UserSummary', { description: 'A person of the workspace, as other features show them' })
export class UserSummary {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() email!: string;
  @Field(() => String, { nullable: true, description: 'Masked like email without users.viewPii' }) phone!: string | null;
  @Field() role!: string;
  @Field({ description: 'active, invited, suspended (deleted people are not listed)' }) status!: string;
  @Field(() => ID, { nullable: true, description: 'Their organization (organizations.read tells its name), or null' }) organizationId!: string | null;
}

/** The one way a User becomes a UserSummary (the field resolver masks it per viewer). */
export const toSummary = (u: { id: string; name: string; email: string; phone?: string | null; role: string; status: string; organizationId?: string | null }): UserSummary => ({
  id: u.id,
  name: u.name,
  email: u.email,
  phone: u.phone ?? null,
  role: u.role,
  status: u.status,
  organizationId: u.organizationId ?? null,
});

@ObjectType('UserPage')
export class UserPage {
  @Field(() => [UserSummary]) nodes!: UserSummary[];
  @Field(() => Int) totalCount!: number;
}

@ObjectType('TenantInfo')
export class TenantInfo {
  @Field() slug!: string;
  @Field() name!: string;
}

@ObjectType('CurrentApiToken', { description: 'The API token a request is made with' })
export class CurrentApiToken {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'When it stops working; null: until revoked' }) expiresAt!: Date | null;
}

@ObjectType('Me', {
  description: 'Who is asking: the signed-in person, or for an API token the person who made it (apiToken says which token)',
})
export class Me {
  @Field(() => ID) id!: string;
  @Field({ description: "Masked for an API token without users.viewPii, like anyone's" }) email!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true, description: 'Masked like email' }) phone!: string | null;
  @Field() role!: string;
  @Field(() => [PermissionEnum], { description: 'What this caller may do (an API token: its scope, cut to what its creator holds now); the console hides what is not here' })
  permissions!: string[];
  @Field({ description: 'Two-factor sign-in is on for this person' })
  twoFactorEnabled!: boolean;
  @Field(() => CurrentApiToken, { nullable: true, description: 'The API token this request is made with; null for a signed-in session' })
  apiToken!: CurrentApiToken | null;
  // tenant, twoFactorEnrolmentRequired and passwordExpired need other rows: MeResolver reads them
  // only when a client asks (the console's frequent `me` asks for none of the settings).
  /** Not a GraphQL field: the row the lazy fields are worked out from (none for vendor support). */
  user!: User | null;
}

@ObjectType('LoginPayload', { description: 'A session, or (twoFactorRequired) the challenge to answer with verifyTwoFactor' })
export class LoginPayload {
  @Field(() => String, {
    nullable: true,
    description: 'Send as `Authorization: Bearer <token>`; browsers get the same session as an HttpOnly cookie. Null while a second factor is needed',
  })
  token!: string | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) expiresAt!: Date | null;
  @Field(() => Me, { nullable: true }) me!: Me | null;
  @Field({ description: 'The password was right; no session yet: answer `challenge` with a code (verifyTwoFactor)' })
  twoFactorRequired!: boolean;
  @Field(() => String, { nullable: true, description: 'Valid 5 minutes, for up to 5 codes' })
  challenge!: string | null;
}

@InputType()
export class LoginInput {
  @Field({ description: 'The workspace slug' })
  @IsNotEmpty()
  @MaxLength(63)
  tenant!: string;

  @Field()
  @IsEmail({}, { message: 'Enter an email address' })
  @MaxLength(254)
  email!: string;

  @Field()
  @IsNotEmpty()
  @MaxLength(1024)
  password!: string;
}

@InputType()
export class UserFilter {
  @Field({ nullable: true, description: 'Matches the name, and the email address where the caller may read it (users.viewPii, or their own)' })
  @IsOptional()
  @MaxLength(200)
  search?: string;

  @Field({ nullable: true })
  @IsOptional()
  @MaxLength(40)
  role?: string;

  @Field({ nullable: true, description: 'Only people who can be assigned tickets (not requesters)' })
  @IsOptional()
  @IsBoolean()
  staffOnly?: boolean;

  @Field(() => [ID], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  ids?: string[];

  @Field(() => ID, { nullable: true, description: 'Only the people of this organization' })
  @IsOptional()
  @IsUUID('all')
  organizationId?: string;
}
