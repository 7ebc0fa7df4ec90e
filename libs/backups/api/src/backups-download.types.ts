import { GraphQLDateTimeISO } from '@bulwark/platform-api';
import { Field, Float, ObjectType } from 'type-graphql';

@ObjectType('BackupDownload')
export class BackupDownloadView {
  @Field({ description: 'A one-time link: GET it once within five minutes (the link is the credential)' }) url!: string;
  @Field(() => GraphQLDateTimeISO) expiresAt!: Date;
  @Field(() => Float, { description: 'Bytes of the file, as stored' }) sizeBytes!: number;
  @Field({ description: 'SHA-256 of the file, as stored' }) sha256!: string;
  @Field({ description: 'The name the file downloads under' }) fileName!: string;
}
