import { GraphQLDateTimeISO, Length, MaxLength } from '@bulwark/platform-api';
import { IsBoolean, IsIn, IsInt, IsIP, IsOptional, Max, Min, ArrayMaxSize, ValidateNested } from 'class-validator';
import { GraphQLJSON, GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';

@ObjectType('AuditChange', { description: 'One field of a before/after diff; secrets show as [redacted]' })
export class AuditChangeView {
  @Field() field!: string;
  @Field(() => GraphQLJSON, { nullable: true }) before!: unknown;
  @Field(() => GraphQLJSON, { nullable: true }) after!: unknown;
}

@ObjectType('AuditEvent')
export class AuditEventView {
  @Field(() => ID) id!: string;
  @Field(() => Float, { description: "The workspace's event number (the chain order)" }) seq!: number;
  @Field(() => GraphQLDateTimeISO) occurredAt!: Date;
  @Field({ description: 'user, token, system, support or anonymous' }) actorType!: string;
  @Field(() => String, { nullable: true }) actorId!: string | null;
  @Field(() => String, { nullable: true, description: 'As it was when the event happened' }) actorName!: string | null;
  @Field() action!: string;
  @Field() actionDescription!: string;
  @Field(() => String, { nullable: true }) targetType!: string | null;
  @Field(() => String, { nullable: true }) targetId!: string | null;
  @Field({ description: 'success, failure or denied' }) outcome!: string;
  @Field(() => String, { nullable: true }) ip!: string | null;
  @Field(() => String, { nullable: true }) userAgent!: string | null;
  @Field(() => String, { nullable: true }) requestId!: string | null;
  @Field(() => [AuditChangeView]) changes!: AuditChangeView[];
  @Field(() => GraphQLJSONObject, { nullable: true }) details!: Record<string, unknown> | null;
  @Field({ description: 'SHA-256 chain hash (hex)' }) hash!: string;
}

@ObjectType('AuditEventPage')
export class AuditEventPage {
  @Field(() => [AuditEventView]) items!: AuditEventView[];
  @Field({ description: 'Pass as `after` for the next (older) page' }) hasMore!: boolean;
  @Field(() => String, { nullable: true }) nextCursor!: string | null;
}

@InputType()
export class AuditFilter {
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) actorId?: string | null;
  @Field(() => String, { nullable: true, description: 'user, token, support (vendor operators under a grant), system or anonymous' })
  @IsOptional()
  @IsIn(['user', 'token', 'support', 'system', 'anonymous'])
  actorType?: string | null;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(50) actions?: string[] | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(60) targetType?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(200) targetId?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsIn(['success', 'failure', 'denied']) outcome?: string | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) @IsOptional() from?: Date | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) @IsOptional() to?: Date | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsIP() ip?: string | null;
  @Field(() => String, { nullable: true, description: 'Part of an actor name, target id or action' }) @IsOptional() @MaxLength(100) search?: string | null;
}

@ObjectType('AuditActionInfo', { description: 'A declared audit action' })
export class AuditActionInfo {
  @Field() key!: string;
  @Field() feature!: string;
  @Field() description!: string;
  @Field(() => String, { nullable: true }) target!: string | null;
  @Field({ description: 'A configuration change' }) config!: boolean;
}

@ObjectType('AuditVerification')
export class AuditVerification {
  @Field() ok!: boolean;
  @Field(() => Float, { description: 'Events checked (from the last retention checkpoint)' }) checked!: number;
  @Field(() => Float) headSeq!: number;
  @Field(() => Float, { nullable: true, description: 'The first event that does not verify' }) brokenSeq!: number | null;
  @Field(() => ID, { nullable: true }) brokenEventId!: string | null;
  @Field(() => String, { nullable: true }) reason!: string | null;
}

@ObjectType('AuditDay')
export class AuditDay {
  @Field() day!: string;
  @Field(() => Int) signInFailures!: number;
  @Field(() => Int) configChanges!: number;
}

@ObjectType('AuditSettings')
export class AuditSettingsView {
  @Field(() => Int, { description: 'Days events are kept (90 to 3650)' }) retentionDays!: number;
}

@ObjectType('AlertKindInfo')
export class AlertKindInfo {
  @Field() kind!: string;
  @Field() description!: string;
}

@ObjectType('AlertEmail', { description: 'Who an alert rule mails each alert to' })
export class AlertEmailView {
  @Field(() => [String], { description: 'Listed addresses' }) addresses!: string[];
  @Field({ description: 'Also every active owner and admin, as they are when the alert is raised' }) ownersAndAdmins!: boolean;
}

@ObjectType('AlertRule')
export class AlertRuleView {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() kind!: string;
  @Field(() => Int) threshold!: number;
  @Field(() => Int) windowMinutes!: number;
  @Field(() => String, { nullable: true }) webhookUrl!: string | null;
  @Field(() => AlertEmailView, { nullable: true, description: 'Null: the rule mails nobody' }) email!: AlertEmailView | null;
  @Field() enabled!: boolean;
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
}

@ObjectType('AlertRuleResult')
export class AlertRuleResult {
  @Field(() => AlertRuleView) rule!: AlertRuleView;
  @Field(() => String, { nullable: true, description: 'The webhook signing secret: shown this once, stored sealed' }) webhookSecret!: string | null;
}

@InputType({ description: 'Mail each alert: to these addresses, to every owner and admin, or both' })
export class AlertEmailInput {
  @Field(() => [String], { nullable: true, description: 'Up to 20 addresses' }) @IsOptional() @ArrayMaxSize(20) @MaxLength(254, { each: true }) addresses?: string[] | null;
  @Field({ defaultValue: false }) @IsBoolean() ownersAndAdmins: boolean = false;
}

@InputType()
export class AlertRuleInput {
  @Field() @Length(1, 120) name!: string;
  @Field({ description: 'failed_logins, permission_granted, network_change, break_glass, backup_failed, export or spam_quarantine' }) @MaxLength(40) kind!: string;
  @Field(() => Int, { defaultValue: 1, description: 'failed_logins: how many failures' }) @IsInt() @Min(1) @Max(1000) threshold: number = 1;
  @Field(() => Int, { defaultValue: 15, description: 'failed_logins: within how many minutes' }) @IsInt() @Min(1) @Max(1440) windowMinutes: number = 15;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(2000) webhookUrl?: string | null;
  @Field(() => AlertEmailInput, { nullable: true, description: 'Absent or null: the rule mails nobody' })
  @IsOptional()
  @ValidateNested()
  email?: AlertEmailInput | null;
  @Field({ defaultValue: true }) @IsBoolean() enabled: boolean = true;
}

@ObjectType('SecurityAlert')
export class SecurityAlertView {
  @Field(() => ID) id!: string;
  @Field() ruleName!: string;
  @Field() kind!: string;
  @Field() subject!: string;
  @Field() title!: string;
  @Field(() => Float) eventSeq!: number;
  @Field(() => ID, { nullable: true, description: 'The event that raised it (see auditEvent)' }) eventId!: string | null;
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
  @Field({ description: 'none, pending, delivered or failed' }) delivery!: string;
  @Field(() => Int) attempts!: number;
  @Field(() => String, { nullable: true }) lastError!: string | null;
}

@ObjectType('AuditExportLink')
export class AuditExportLink {
  @Field({ description: 'A one-time link: GET it once within five minutes (the link is the credential)' }) url!: string;
  @Field(() => GraphQLDateTimeISO) expiresAt!: Date;
}

