import { GraphQLDateTimeISO, Length } from '@bulwark/platform-api';
import { ArrayMaxSize, IsUUID } from 'class-validator';
import { Field, ID, InputType, ObjectType } from 'type-graphql';

@ObjectType('TicketGroup', { description: 'A group of staff; tickets can be given to one' })
export class TicketGroupView {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => [ID]) memberIds!: string[];
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
}

@InputType()
export class TicketGroupInput {
  @Field() @Length(1, 80) name!: string;
  @Field(() => [ID], { description: 'Staff only; replaces the member list' }) @ArrayMaxSize(500) @IsUUID(undefined, { each: true }) memberIds!: string[];
}
