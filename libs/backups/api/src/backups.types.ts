import { GraphQLDateTimeISO, Length, MaxLength } from '@bulwark/platform-api';
import { IsBoolean, IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';

@ObjectType('BackupRun')
export class BackupRunView {
  @Field(() => ID) id!: string;
  @Field({ description: 'queued, running, succeeded or failed' }) status!: string;
  @Field({ description: 'manual, schedule or cli' }) trigger!: string;
  @Field({ description: 'aes-256-gcm or openpgp' }) encryption!: string;
  @Field(() => Float, { nullable: true }) sizeBytes!: number | null;
  @Field(() => String, { nullable: true, description: 'SHA-256 of the stored file' }) sha256!: string | null;
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Rows per table' }) counts!: Record<string, number> | null;
  @Field(() => Int, { nullable: true }) rows!: number | null;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) finishedAt!: Date | null;
  @Field(() => Float, { nullable: true, description: 'Seconds it took' }) durationSeconds!: number | null;
}

@ObjectType('BackupSchedule')
export class BackupScheduleView {
  @Field({ description: 'Five-field cron expression' }) cron!: string;
  @Field() timezone!: string;
  @Field(() => Int, { description: 'Backups kept; older ones are deleted' }) retentionCount!: number;
  @Field() enabled!: boolean;
  @Field(() => [GraphQLDateTimeISO], { description: 'The next five runs' }) nextRuns!: Date[];
  @Field({ description: 'aes-256-gcm or openpgp' }) encryption!: string;
  @Field(() => String, { nullable: true }) openpgpFingerprint!: string | null;
  @Field({ description: 'local or s3 (server configuration)' }) storage!: string;
}

@InputType()
export class BackupScheduleInput {
  @Field() @Length(9, 100) cron!: string;
  @Field() @Length(1, 64) timezone!: string;
  @Field(() => Int) @IsInt() @Min(1) @Max(100) retentionCount!: number;
  @Field() @IsBoolean() enabled!: boolean;
}

@InputType()
export class BackupEncryptionInput {
  @Field({ description: 'aes-256-gcm or openpgp' }) @IsIn(['aes-256-gcm', 'openpgp']) mode!: string;
  @Field(() => String, { nullable: true, description: 'Armored OpenPGP public key (openpgp mode)' }) @IsOptional() @MaxLength(100_000) publicKey?: string | null;
}

@InputType()
export class NewWorkspaceInput {
  @Field({ description: 'Its sign-in name: 2 to 63 lowercase letters, digits or dashes' }) @Length(2, 63) slug!: string;
  @Field() @Length(1, 200) name!: string;
}

@InputType()
export class RestoreInput {
  @Field(() => ID) @IsUUID() runId!: string;
  @Field({ defaultValue: true, description: 'Only verify the archive' }) @IsBoolean() dryRun: boolean = true;
  @Field(() => String, { nullable: true, description: "For a real restore over this workspace: its name (its slug), typed to confirm" }) @IsOptional() @MaxLength(63) confirm?: string | null;
  @Field(() => NewWorkspaceInput, { nullable: true, description: 'Restore into a new workspace (a sandbox copy) instead; this one is left as it is' })
  @IsOptional()
  newWorkspace?: NewWorkspaceInput | null;
}

@ObjectType('RestoreResult')
export class RestoreResult {
  @Field() dryRun!: boolean;
  @Field(() => Int) rows!: number;
  @Field(() => GraphQLJSONObject) counts!: Record<string, number>;
  @Field(() => GraphQLDateTimeISO) backupCreatedAt!: Date;
  @Field() schema!: string;
  @Field(() => String, { nullable: true, description: 'The new workspace the backup was restored into (sign in there with the same passwords)' }) newWorkspaceSlug?: string | null;
}
