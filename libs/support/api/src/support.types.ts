import { ArrayMaxSize, IsIn, IsInt, IsOptional } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLDateTimeISO, Length, PermissionEnum } from '@bulwark/platform-api';

export enum SupportAccessEnum {
  READ_ONLY = 'read_only',
  CUSTOM = 'custom',
}
registerEnumType(SupportAccessEnum, {
  name: 'SupportAccess',
  valuesConfig: {
    READ_ONLY: { description: 'Reading tickets, people (without their email or phone), organizations, roles and backups; of what the granting admin may read' },
    CUSTOM: { description: 'The permissions named in `permissions`, each one the granting admin holds' },
  },
});

@ObjectType('SupportOperator', { description: "One of the vendor's support staff (the platform's, not this workspace's)" })
export class SupportOperatorView {
  @Field(() => ID) id!: string;
  @Field() name!: string;
}

@ObjectType('SupportGrant', { description: 'Vendor support access: granted by an admin through a vendor support request, until it ends' })
export class SupportGrantView {
  @Field(() => ID) id!: string;
  @Field(() => ID, { description: 'The vendor support request (a ticket of this desk); solving or closing it ends the access' }) ticketId!: string;
  @Field() ticketSubject!: string;
  @Field(() => SupportAccessEnum) access!: string;
  @Field(() => [PermissionEnum]) permissions!: string[];
  @Field({ description: 'Any operator of the support team (else only `operators`)' }) supportTeam!: boolean;
  @Field(() => [SupportOperatorView]) operators!: SupportOperatorView[];
  @Field({ description: 'The admin who granted it' }) grantedByName!: string;
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
  @Field(() => GraphQLDateTimeISO) expiresAt!: Date;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) endedAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'ticket_closed, expired or revoked' }) endReason!: string | null;
  @Field({ description: 'Open now: operators it names may sign in and work' }) active!: boolean;
}

@ObjectType('SupportSessionInfo', { description: 'The grant a vendor operator works under, for their banner' })
export class SupportSessionInfo {
  @Field() workspaceName!: string;
  @Field() operatorName!: string;
  @Field(() => GraphQLDateTimeISO, { description: 'When the access ends at the latest (its request may be closed before)' }) until!: Date;
  @Field(() => [PermissionEnum]) permissions!: string[];
}

@ObjectType('SupportAccessStatus', { description: 'Open vendor support access, for the banner everyone in the console sees' })
export class SupportAccessStatus {
  @Field(() => [SupportGrantView], { description: 'Open grants (empty without support.read)' }) grants!: SupportGrantView[];
  @Field(() => SupportSessionInfo, { nullable: true, description: 'Set when the caller is a vendor operator' }) operatorSession!: SupportSessionInfo | null;
}

@ObjectType('SupportSignInPayload')
export class SupportSignInPayload {
  @Field({ description: 'Send as `Authorization: Bearer <token>`; browsers get the same session as an HttpOnly cookie' }) token!: string;
  @Field(() => GraphQLDateTimeISO) expiresAt!: Date;
}

@InputType()
export class SupportSignInInput {
  @Field({ description: 'The workspace slug' }) @Length(1, 63) workspace!: string;
  @Field() @Length(1, 254) email!: string;
  @Field() @Length(1, 1024) password!: string;
  @Field({ description: 'The 6-digit code of the operator\'s authenticator app' }) @Length(1, 20) code!: string;
}

@InputType()
export class SupportGrantInput {
  @Field(() => SupportAccessEnum, { defaultValue: SupportAccessEnum.READ_ONLY }) @IsIn(['read_only', 'custom']) access: SupportAccessEnum = SupportAccessEnum.READ_ONLY;
  @Field(() => [PermissionEnum], { nullable: true, description: 'For custom access: each one you hold yourself' }) @IsOptional() @ArrayMaxSize(200) permissions?: string[] | null;
  @Field(() => Int, { nullable: true, description: 'How long it lasts: 72 hours unless said, at most 720 (30 days)' }) @IsOptional() @IsInt() hours?: number | null;
  @Field(() => [ID], { nullable: true, description: 'Only these operators (see supportOperators); absent or empty: the support team' }) @IsOptional() @ArrayMaxSize(50) operatorIds?: string[] | null;
}

@InputType()
export class VendorSupportInput extends SupportGrantInput {
  @Field() @Length(1, 200) subject!: string;
  @Field() @Length(1, 20000) body!: string;
}
