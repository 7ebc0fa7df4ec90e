import { GraphQLDateTimeISO, Length, MaxLength } from '@bulwark/platform-api';
import { ArrayMaxSize, IsOptional, IsString, IsUUID } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';

@ObjectType('Organization', { description: "A requesters' company; a new requester whose address is at one of its domains joins it" })
export class OrganizationView {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => [String], { description: 'Lower-case domain names (example.com)' }) domains!: string[];
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
  // memberCount: a field resolver, batched per request (OrganizationFieldsResolver).
}

@ObjectType('OrganizationPage')
export class OrganizationPage {
  @Field(() => [OrganizationView]) nodes!: OrganizationView[];
  @Field(() => Int) totalCount!: number;
}

@InputType()
export class OrganizationInput {
  @Field() @Length(1, 120) name!: string;
  @Field(() => [String], { description: 'Email domains (example.com); each belongs to one organization at most; replaces the list' })
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(253, { each: true })
  domains!: string[];
}

@InputType({ description: "A person's details an admin changes; what is left out stays as it is" })
export class UpdateUserInput {
  @Field(() => ID, { nullable: true, description: 'Their organization; null takes them out of it (needs organizations.manage)' })
  @IsOptional()
  @IsUUID('all')
  organizationId?: string | null;
}
