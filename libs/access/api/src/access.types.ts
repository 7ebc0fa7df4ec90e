import { ArrayMaxSize, IsBoolean, IsIn, IsOptional, ValidateNested } from 'class-validator';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { GraphQLDateTimeISO, Length, MaxLength, PermissionEnum } from '@bulwark/platform-api';

@ObjectType('Role', { description: 'A built-in role (not editable) or a custom one' })
export class RoleView {
  @Field(() => ID, { description: 'The key users carry: a built-in name, or role:<uuid>' }) key!: string;
  @Field() name!: string;
  @Field() description!: string;
  @Field() builtIn!: boolean;
  @Field(() => [PermissionEnum]) permissions!: string[];
  @Field({ description: 'Which tickets its holders see: all (tickets.viewAll), group (tickets.viewGroup: their groups\' too) or own' })
  ticketScope!: string;
}

@InputType()
export class RoleInput {
  @Field() @Length(1, 80) name!: string;
  @Field({ defaultValue: '' }) @MaxLength(500) description: string = '';
  @Field(() => [PermissionEnum]) @ArrayMaxSize(500) permissions!: string[];
}

@ObjectType('IpRule')
export class IpRuleView {
  @Field() cidr!: string;
  @Field() label!: string;
}

@ObjectType('AccessSettings', { description: 'IP allowlist and lockdown of the workspace' })
export class AccessSettingsView {
  @Field({ description: 'off, report (log only) or enforce' }) ipMode!: string;
  @Field() ipIncludesRequesters!: boolean;
  @Field(() => [IpRuleView]) ipRules!: IpRuleView[];
  @Field() lockdown!: boolean;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) lockdownChangedAt?: Date | null;
  @Field({ description: 'The operators switched the whole platform to lockdown' }) platformLockdown!: boolean;
  @Field({ description: 'The address this request came from, as the server sees it' }) yourAddress!: string;
}

@InputType()
export class IpRuleInput {
  @Field() @Length(2, 60) cidr!: string;
  @Field({ defaultValue: '' }) @MaxLength(120) label: string = '';
}

@InputType()
export class IpAllowlistInput {
  @Field({ description: 'off, report or enforce' }) @IsIn(['off', 'report', 'enforce']) mode!: string;
  @Field({ defaultValue: false }) @IsOptional() @IsBoolean() includesRequesters: boolean = false;
  @Field(() => [IpRuleInput]) @ArrayMaxSize(200) @ValidateNested({ each: true }) rules!: IpRuleInput[];
}

@ObjectType('PermissionInfo', { description: 'A permission of the catalog, for editors and documentation' })
export class PermissionInfo {
  @Field(() => PermissionEnum) key!: string;
  @Field() feature!: string;
  @Field() description!: string;
}

@ObjectType('AccessStatus', { description: 'What every signed-in person may know about the workspace’s state' })
export class AccessStatus {
  @Field() lockdown!: boolean;
}
