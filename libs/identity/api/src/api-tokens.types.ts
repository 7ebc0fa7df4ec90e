import { ArrayMaxSize, IsInt, IsOptional, Max, Min } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { GraphQLDateTimeISO, Length, PermissionEnum } from '@bulwark/platform-api';

@ObjectType('ApiToken', { description: 'A token for an integration; its secret is shown once, at creation' })
export class ApiTokenView {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => [PermissionEnum], { description: 'Its scope; at each use also cut to what its creator holds then' }) permissions!: string[];
  @Field(() => ID) createdBy!: string;
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) expiresAt!: Date | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) lastUsedAt!: Date | null;
  @Field(() => String, { nullable: true }) lastUsedIp!: string | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) revokedAt!: Date | null;
}

@ObjectType('NewApiToken')
export class NewApiTokenPayload {
  @Field({ description: 'Send as `Authorization: Bearer <token>`. Shown this once; only its hash is kept' }) token!: string;
  @Field(() => ApiTokenView) apiToken!: ApiTokenView;
}

@InputType()
export class ApiTokenInput {
  @Field() @Length(1, 120) name!: string;
  @Field(() => [PermissionEnum]) @ArrayMaxSize(500) permissions!: string[];
  @Field(() => Int, { nullable: true, description: '1 to 365; none: until revoked' }) @IsOptional() @IsInt() @Min(1) @Max(365) expiresInDays?: number | null;
}
