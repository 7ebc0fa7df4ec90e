import { ArrayMaxSize, IsBoolean, IsEnum, IsOptional, IsUUID, Length, MaxLength } from 'class-validator';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { SortDirection } from '@bulwark/platform-api';

export enum TicketStatusEnum {
  NEW = 'new',
  OPEN = 'open',
  PENDING = 'pending',
  SOLVED = 'solved',
  CLOSED = 'closed',
}
export enum TicketPriorityEnum {
  LOW = 'low',
  NORMAL = 'normal',
  HIGH = 'high',
  URGENT = 'urgent',
}
export enum TicketChannelEnum {
  EMAIL = 'email',
  WEB = 'web',
  PHONE = 'phone',
  MOBILE = 'mobile',
  API = 'api',
}
export enum TicketKindEnum {
  REQUEST = 'request',
  VENDOR_SUPPORT = 'vendor_support',
}
export enum TicketSortField {
  CREATED_AT = 'createdAt',
  UPDATED_AT = 'updatedAt',
  SUBJECT = 'subject',
  STATUS = 'status',
  PRIORITY = 'priorityRank',
}
registerEnumType(TicketStatusEnum, { name: 'TicketStatus' });
registerEnumType(TicketPriorityEnum, { name: 'TicketPriority' });
registerEnumType(TicketChannelEnum, { name: 'TicketChannel' });
registerEnumType(TicketKindEnum, {
  name: 'TicketKind',
  valuesConfig: { REQUEST: { description: 'A request to this service desk' }, VENDOR_SUPPORT: { description: "The workspace's own request to the vendor: vendor support access is granted through it" } },
});
registerEnumType(TicketSortField, { name: 'TicketSortField' });

export enum ExportFormatEnum {
  CSV = 'csv',
  NDJSON = 'ndjson',
}
registerEnumType(ExportFormatEnum, {
  name: 'ExportFormat',
  valuesConfig: { CSV: { description: 'Comma-separated, one ticket a line, for spreadsheets' }, NDJSON: { description: 'One JSON object a line, for tools' } },
});

/** The API shape of a ticket: what a page query selects, with user references as ids. */
@ObjectType('Ticket')
export class TicketView {
  @Field(() => ID) id!: string;
  @Field() subject!: string;
  @Field() body!: string;
  @Field(() => TicketStatusEnum) status!: string;
  @Field(() => TicketPriorityEnum) priority!: string;
  @Field(() => TicketChannelEnum) channel!: string;
  @Field(() => TicketKindEnum) kind!: string;
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
  @Field(() => GraphQLDateTimeISO) updatedAt!: Date;
  requesterId!: string;
  assigneeId!: string | null;
  @Field(() => ID, { nullable: true, description: 'The group it is given to (see ticketGroups)' }) groupId!: string | null;
}

@ObjectType('TicketComment')
export class CommentView {
  @Field(() => ID) id!: string;
  @Field() body!: string;
  @Field({ description: 'false for internal notes' }) public!: boolean;
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
  authorId!: string;
  ticketId!: string;
}

@ObjectType('TicketPage')
export class TicketPage {
  @Field(() => [TicketView]) nodes!: TicketView[];
  /** Counted only when asked for (see the field resolver). */
  count!: () => Promise<number>;
}

@InputType()
export class TicketFilter {
  @Field(() => [TicketStatusEnum], { nullable: true }) @IsOptional() @ArrayMaxSize(5) @IsEnum(TicketStatusEnum, { each: true })
  status?: TicketStatusEnum[];
  @Field(() => [TicketPriorityEnum], { nullable: true }) @IsOptional() @ArrayMaxSize(4) @IsEnum(TicketPriorityEnum, { each: true })
  priority?: TicketPriorityEnum[];
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() assigneeId?: string;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() requesterId?: string;
  @Field({ nullable: true }) @IsOptional() @IsBoolean() unassigned?: boolean;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() groupId?: string;
  @Field({ nullable: true, description: 'Words in the subject' }) @IsOptional() @MaxLength(200) search?: string;
}

@InputType()
export class TicketSort {
  @Field(() => TicketSortField, { defaultValue: TicketSortField.CREATED_AT }) @IsEnum(TicketSortField) field: TicketSortField = TicketSortField.CREATED_AT;
  @Field(() => SortDirection, { defaultValue: SortDirection.DESC }) @IsEnum(SortDirection) direction: SortDirection = SortDirection.DESC;
}

@InputType()
export class CreateTicketInput {
  @Field() @Length(1, 200) subject!: string;
  @Field() @Length(1, 20000) body!: string;
  @Field(() => TicketPriorityEnum, { nullable: true }) @IsOptional() @IsEnum(TicketPriorityEnum) priority?: TicketPriorityEnum;
  @Field(() => TicketChannelEnum, { nullable: true }) @IsOptional() @IsEnum(TicketChannelEnum) channel?: TicketChannelEnum;
  @Field(() => ID, { nullable: true, description: 'Staff only; a requester always files for themselves' })
  @IsOptional()
  @IsUUID()
  requesterId?: string;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() assigneeId?: string;
  @Field(() => ID, { nullable: true, description: 'Staff only' }) @IsOptional() @IsUUID() groupId?: string;
}

@InputType()
export class UpdateTicketInput {
  @Field({ nullable: true }) @IsOptional() @Length(1, 200) subject?: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 20000) body?: string;
  @Field(() => TicketStatusEnum, { nullable: true }) @IsOptional() @IsEnum(TicketStatusEnum) status?: TicketStatusEnum;
  @Field(() => TicketPriorityEnum, { nullable: true }) @IsOptional() @IsEnum(TicketPriorityEnum) priority?: TicketPriorityEnum;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() requesterId?: string;
  @Field(() => ID, { nullable: true, description: 'null unassigns' }) @IsOptional() @IsUUID() assigneeId?: string | null;
  @Field(() => ID, { nullable: true, description: 'null takes it out of its group' }) @IsOptional() @IsUUID() groupId?: string | null;
}

@InputType()
export class AddCommentInput {
  @Field() @Length(1, 20000) body!: string;
  @Field({ defaultValue: true, description: 'false makes an internal note (staff only)' }) @IsBoolean() public: boolean = true;
}

@ObjectType('TicketExportLink')
export class TicketExportLink {
  @Field({ description: 'A one-time link: GET it once within five minutes (the link is the credential)' }) url!: string;
  @Field(() => GraphQLDateTimeISO) expiresAt!: Date;
}
