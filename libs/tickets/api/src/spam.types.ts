import { GraphQLDateTimeISO } from '@bulwark/platform-api';
import { ArrayMaxSize, IsBoolean, IsEnum, IsInt, IsOptional } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { TicketChannelEnum } from './tickets.types';

export enum QuarantineStatusEnum {
  ACTIVE = 'active',
  BLOCKED = 'blocked',
  RELEASED = 'released',
  DELETED = 'deleted',
}
registerEnumType(QuarantineStatusEnum, {
  name: 'QuarantineStatus',
  valuesConfig: {
    ACTIVE: { description: 'Over the limit: new tickets are held until the window lets them in again' },
    BLOCKED: { description: 'An admin blocked them: new tickets are refused until released' },
    RELEASED: { description: 'An admin released the held tickets' },
    DELETED: { description: 'An admin deleted the held tickets' },
  },
});

export enum QuarantineSubjectEnum {
  REQUESTER = 'requester',
  SENDER = 'sender',
  ADDRESS = 'address',
}
registerEnumType(QuarantineSubjectEnum, {
  name: 'QuarantineSubject',
  valuesConfig: {
    REQUESTER: { description: 'A requester (see requester)' },
    SENDER: { description: "An anonymous channel's sender address (see address)" },
    ADDRESS: { description: "An anonymous channel's client network address (see address)" },
  },
});

@ObjectType('SpamRules', { description: 'The numbers the spam watcher starts with' })
export class SpamRulesView {
  @Field() enabled!: boolean;
  @Field(() => Int) limit!: number;
  @Field(() => Int) windowMinutes!: number;
}

@ObjectType('SpamSettings', { description: 'The spam watcher: more than `limit` tickets from one requester within `windowMinutes` are held' })
export class SpamSettingsView {
  @Field() enabled!: boolean;
  @Field(() => Int) limit!: number;
  @Field(() => Int) windowMinutes!: number;
  @Field(() => SpamRulesView) defaults!: SpamRulesView;
}

@InputType()
export class SpamSettingsInput {
  @Field() @IsBoolean() enabled!: boolean;
  // Ranges are checked by the service, so that the message is said on the field for a person.
  @Field(() => Int, { description: 'Tickets accepted per requester within the window (1 to 1000)' }) @IsInt() limit!: number;
  @Field(() => Int, { description: 'The window in minutes (1 to 1440)' }) @IsInt() windowMinutes!: number;
}

@ObjectType('HeldTicket', { description: 'A ticket the spam watcher holds: seen only in the quarantine queue' })
export class HeldTicketView {
  @Field(() => ID) id!: string;
  @Field() subject!: string;
  @Field(() => TicketChannelEnum) channel!: string;
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
}

@ObjectType('Quarantine', { description: 'A requester (or an anonymous sender) the spam watcher holds tickets of' })
export class QuarantineView {
  @Field(() => ID) id!: string;
  @Field(() => QuarantineSubjectEnum) subjectKind!: string;
  /** The sender or network address (anonymous channels); a field resolver masks a sender's as people's emails are. */
  address!: string | null;
  requesterId!: string | null;
  @Field(() => Int, { description: 'Tickets counted in the window when the limit was passed' }) ticketCount!: number;
  @Field(() => Int, { description: 'The limit then' }) limit!: number;
  @Field(() => Int, { description: 'The window then, in minutes' }) windowMinutes!: number;
  @Field(() => GraphQLDateTimeISO) since!: Date;
  @Field(() => GraphQLDateTimeISO, { description: 'When a ticket was last held' }) lastHeldAt!: Date;
  @Field(() => QuarantineStatusEnum) status!: string;
  decidedById!: string | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) decidedAt!: Date | null;
  @Field(() => Int, { description: 'Tickets held now' }) heldCount!: number;
  @Field(() => [HeldTicketView], { description: 'The first 20 held tickets, oldest first' }) heldTickets!: HeldTicketView[];
}

@ObjectType('QuarantinePage')
export class QuarantinePage {
  @Field(() => [QuarantineView]) nodes!: QuarantineView[];
  @Field(() => Int) totalCount!: number;
}

@InputType()
export class QuarantineFilter {
  @Field(() => [QuarantineStatusEnum], { nullable: true, description: 'Active and blocked when left out' })
  @IsOptional()
  @ArrayMaxSize(4)
  @IsEnum(QuarantineStatusEnum, { each: true })
  status?: QuarantineStatusEnum[];
}
