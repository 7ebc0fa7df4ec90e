import { GraphQLDateTimeISO, MaxLength } from '@bulwark/platform-api';
import { IsIn, IsOptional } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';

@ObjectType('Delivery', { description: 'One message of the outbox: a mail or a webhook, and how its delivery went' })
export class DeliveryView {
  @Field(() => ID) id!: string;
  @Field({ description: 'The kind, as a key (platform.mail, audit.alert-webhook)' }) kind!: string;
  @Field({ description: 'The kind in words ("Email", "Alert webhook")' }) kindLabel!: string;
  @Field({ description: 'Who it goes to: addresses, or the receiving URL' }) recipient!: string;
  @Field({ description: 'What it is, in words (a subject)' }) summary!: string;
  @Field({ description: 'pending, delivered or failed' }) status!: string;
  @Field(() => Int, { description: 'Tries so far' }) attempts!: number;
  @Field(() => String, { nullable: true, description: 'Why the last try failed' }) lastError!: string | null;
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'The next try, while pending' }) nextAttemptAt!: Date | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) deliveredAt!: Date | null;
}

@ObjectType('DeliveryPage')
export class DeliveryPage {
  @Field(() => [DeliveryView]) nodes!: DeliveryView[];
  @Field(() => Int) totalCount!: number;
}

@InputType()
export class DeliveryFilter {
  @Field(() => String, { nullable: true, description: 'pending, delivered or failed' })
  @IsOptional()
  @IsIn(['pending', 'delivered', 'failed'])
  status?: string | null;
  @Field(() => String, { nullable: true, description: 'A kind key (platform.mail, audit.alert-webhook)' })
  @IsOptional()
  @MaxLength(100)
  kind?: string | null;
}
