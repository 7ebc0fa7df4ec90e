import { GraphQLDateTimeISO, Length, MaxLength } from '@bulwark/platform-api';
import { IsEmail, IsNotEmpty } from 'class-validator';
import { Field, ID, InputType, ObjectType } from 'type-graphql';

@ObjectType('Session', { description: 'A signed-in device of the current user' })
export class SessionView {
  @Field(() => ID) id!: string;
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
  @Field(() => GraphQLDateTimeISO) lastSeenAt!: Date;
  @Field(() => GraphQLDateTimeISO) expiresAt!: Date;
  @Field() ip!: string;
  @Field() userAgent!: string;
  @Field({ description: 'The session this request came with' }) current!: boolean;
}

@ObjectType('ReauthPayload')
export class ReauthPayload {
  @Field({ description: 'The session continues under this new token (the old one is dead)' }) token!: string;
  @Field(() => GraphQLDateTimeISO) expiresAt!: Date;
}

@InputType()
export class SignUpInput {
  @Field() @IsNotEmpty() @MaxLength(63) tenant!: string;
  @Field() @IsEmail() @MaxLength(254) email!: string;
  @Field() @Length(1, 200) name!: string;
  @Field() @IsNotEmpty() @MaxLength(1024) password!: string;
}

@InputType()
export class ChangeRoleInput {
  @Field(() => ID) @IsNotEmpty() id!: string;
  @Field({ description: 'A built-in role name or a custom role key (role:<id>)' }) @Length(1, 60) role!: string;
}
