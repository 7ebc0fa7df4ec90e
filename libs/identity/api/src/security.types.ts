import { ArrayMaxSize, ArrayUnique, IsEmail, IsIn, IsInt, IsNotEmpty, IsOptional, IsBoolean, Matches, Max, Min } from 'class-validator';
import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { BUILT_IN_ROLES, GraphQLDateTimeISO, Length, MaxLength } from '@bulwark/platform-api';

@ObjectType('IdentitySettings', { description: "The workspace's sign-in and session policy" })
export class IdentitySettingsView {
  @Field(() => Int) passwordMinLength!: number;
  @Field(() => Int, { description: 'How many earlier passwords cannot be reused' }) passwordHistory!: number;
  @Field(() => Int, { description: 'Failed sign-ins before the account locks' }) lockoutThreshold!: number;
  @Field(() => Int) lockoutMinutes!: number;
  @Field(() => Int) sessionIdleMinutes!: number;
  @Field(() => Int) sessionAbsoluteHours!: number;
  @Field() allowRequesterSignup!: boolean;
  @Field(() => [String], { description: 'Roles whose members must use two-factor sign-in' }) twoFactorRequiredRoles!: string[];
  @Field(() => [String], { description: 'Roles whose members must sign in with single sign-on (owners keep a break-glass password sign-in with two-factor)' })
  ssoRequiredRoles!: string[];
  @Field(() => Int, { nullable: true, description: 'Days a password stays valid; null: no expiry' }) passwordExpiryDays?: number | null;
  @Field(() => GraphQLDateTimeISO) updatedAt!: Date;
}

@InputType()
export class IdentitySettingsInput {
  @Field(() => Int, { nullable: true }) @IsOptional() @IsInt() @Min(12) @Max(128) passwordMinLength?: number;
  @Field(() => Int, { nullable: true, description: 'Days a password stays valid (30 to 3650); 0 turns expiry off' })
  @IsOptional()
  @IsInt()
  @Max(3650)
  passwordExpiryDays?: number;
  @Field(() => Int, { nullable: true }) @IsOptional() @IsInt() @Min(0) @Max(24) passwordHistory?: number;
  @Field(() => Int, { nullable: true }) @IsOptional() @IsInt() @Min(3) @Max(50) lockoutThreshold?: number;
  @Field(() => Int, { nullable: true }) @IsOptional() @IsInt() @Min(1) @Max(1440) lockoutMinutes?: number;
  @Field(() => Int, { nullable: true }) @IsOptional() @IsInt() @Min(5) @Max(1440) sessionIdleMinutes?: number;
  @Field(() => Int, { nullable: true }) @IsOptional() @IsInt() @Min(1) @Max(720) sessionAbsoluteHours?: number;
  @Field({ nullable: true }) @IsOptional() @IsBoolean() allowRequesterSignup?: boolean;
  @Field(() => [String], { nullable: true, description: 'Built-in role names or custom role keys (role:<id>)' })
  @IsOptional()
  @ArrayMaxSize(200)
  @ArrayUnique()
  @Matches(/^([a-z_]{1,30}|role:[0-9a-f-]{36})$/, { each: true })
  twoFactorRequiredRoles?: string[];
  @Field(() => [String], { nullable: true, description: 'Roles that sign in with single sign-on only; changing it needs a recent re-authentication' })
  @IsOptional()
  @ArrayMaxSize(200)
  @ArrayUnique()
  @Matches(/^([a-z_]{1,30}|role:[0-9a-f-]{36})$/, { each: true })
  ssoRequiredRoles?: string[];
}

@ObjectType('PasswordPolicy', { description: 'What a new password must satisfy (the console meter uses the same rules)' })
export class PasswordPolicyView {
  @Field(() => Int) minLength!: number;
  @Field(() => Int) maxLength!: number;
  @Field(() => [String], { description: 'Words a password may not contain' }) contextWords!: string[];
}

@InputType()
export class ChangePasswordInput {
  @Field() @IsNotEmpty() @MaxLength(1024) currentPassword!: string;
  @Field() @IsNotEmpty() @MaxLength(1024) newPassword!: string;
}

@InputType()
export class PasswordResetRequestInput {
  @Field() @IsNotEmpty() @MaxLength(63) tenant!: string;
  @Field() @IsEmail() @MaxLength(254) email!: string;
}

@InputType()
export class TokenPasswordInput {
  @Field({ description: 'The token from the emailed link' }) @Length(60, 80) token!: string;
  @Field() @IsNotEmpty() @MaxLength(1024) password!: string;
}

@InputType()
export class InviteUserInput {
  @Field() @IsEmail() @MaxLength(254) email!: string;
  @Field() @Length(1, 200) name!: string;
  @Field() @IsIn(BUILT_IN_ROLES as unknown as string[]) role!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(32) phone?: string | null;
}

@InputType()
export class ProfileInput {
  @Field() @Length(1, 200) name!: string;
  @Field(() => String, { nullable: true, description: 'Empty or null removes it' }) @IsOptional() @MaxLength(32) phone?: string | null;
}
