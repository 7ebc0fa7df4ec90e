import { GraphQLDateTimeISO, MaxLength } from '@bulwark/platform-api';
import { ArrayMaxSize, IsInt, IsString } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';

@ObjectType('Attachment', { description: 'A file on a ticket or a reply' })
export class AttachmentType {
  @Field(() => ID) id!: string;
  @Field() filename!: string;
  @Field({ description: 'The kind of file as its content shows it (not as its name says)' }) contentType!: string;
  @Field(() => Int, { description: 'Bytes' }) size!: number;
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
}

@ObjectType('AttachmentKind', { description: 'A kind of file the workspace may accept' })
export class AttachmentKindType {
  @Field() contentType!: string;
  @Field({ description: 'Its name for a person' }) label!: string;
  @Field({ description: 'Accepted now' }) allowed!: boolean;
}

@ObjectType('AttachmentSettings', { description: 'What files the workspace accepts on tickets and replies (and from email)' })
export class AttachmentSettingsType {
  @Field(() => Int, { description: 'The largest file in bytes' }) maxBytes!: number;
  @Field(() => [String], { description: 'The kinds of file accepted (judged from the content)' }) allowedTypes!: string[];
  @Field(() => [AttachmentKindType], { description: 'Every kind an admin may choose from' }) kinds!: AttachmentKindType[];
  @Field(() => Int, { description: 'The default largest file in bytes' }) defaultMaxBytes!: number;
  @Field(() => [String], { description: 'The kinds accepted by default' }) defaultAllowedTypes!: string[];
}

@InputType()
export class AttachmentSettingsInput {
  // Ranges and kinds are checked by the service, so that the message is said on the field for a person.
  @Field(() => Int, { description: 'The largest file in bytes (1 KB to 25 MB)' }) @IsInt() maxBytes!: number;
  @Field(() => [String], { description: 'Kinds of file accepted (contentType values of AttachmentSettings.kinds)' })
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  @ArrayMaxSize(50)
  allowedTypes!: string[];
}
