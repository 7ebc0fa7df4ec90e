import { ArrayMaxSize, IsBoolean, IsDate, IsEmail, IsEnum, IsInt, IsOptional, IsString, IsUUID, Min, ValidateNested } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLDateTimeISO, Length, MaxLength, SortDirection } from '@bulwark/platform-api';

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
  NUMBER = 'number',
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
  @Field(() => Int, { description: "The workspace's number for it, shown as #1001; look it up with ticket(number:)" }) number!: number;
  @Field() subject!: string;
  @Field({ description: 'Plain text (of htmlBody when it was written with formatting)' }) body!: string;
  @Field(() => String, { nullable: true, description: 'Sanitized HTML when written with formatting (SECURITY.md E8); null for plain text' })
  htmlBody!: string | null;
  /** Masked for those without users.viewPii (the field resolver), like people's addresses everywhere. */
  ccEmails!: string[];
  /** Staff only: the field resolver refuses others (tags are the desk's own notes). */
  tags!: string[];
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

@ObjectType('TicketHistoryEntry', { description: "One change of a ticket, from the audit log, in words" })
export class TicketHistoryEntry {
  @Field(() => GraphQLDateTimeISO) at!: Date;
  @Field({ description: 'Who made it: a name, "Bulwark" for the system' }) actorName!: string;
  @Field({ description: 'What changed, in words (names and values, never ids)' }) summary!: string;
}

@ObjectType('View', { description: 'A named ticket filter with how many tickets it holds now: built-in, or saved by its owner' })
export class TicketListView {
  @Field(() => ID, { description: 'mine, unassigned, open, pending or solved for the built-in views; an id for saved ones' }) id!: string;
  @Field() name!: string;
  @Field() builtIn!: boolean;
  @Field(() => Int) count!: number;
}

@ObjectType('TagCount')
export class TagCount {
  @Field() name!: string;
  @Field(() => Int, { description: 'Tickets one can see with it' }) count!: number;
}

@ObjectType('TicketComment')
export class CommentView {
  @Field(() => ID) id!: string;
  @Field() body!: string;
  @Field(() => String, { nullable: true, description: 'Sanitized HTML when written with formatting; null for plain text' }) htmlBody!: string | null;
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
  @Field({ nullable: true, description: "Words of the subject, body or replies (internal notes with tickets.internalNotes), the requester's name or email (with users.read), or a number such as #1001" })
  @IsOptional()
  @MaxLength(200)
  search?: string;
  @Field(() => Int, { nullable: true }) @IsOptional() @IsInt() @Min(1) number?: number;
  @Field(() => [ID], { nullable: true, description: 'These tickets only (at most 100): names for many ids in one request' })
  @IsOptional()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  ids?: string[];
  @Field(() => ID, { nullable: true, description: "The requester's organization (needs organizations.read)" }) @IsOptional() @IsUUID() organizationId?: string;
  @Field(() => [String], { nullable: true, description: 'Tickets with every one of these tags' }) @IsOptional() @ArrayMaxSize(20) @IsString({ each: true }) @MaxLength(40, { each: true })
  tags?: string[];
  @Field(() => GraphQLDateTimeISO, { nullable: true }) @IsOptional() @IsDate() createdAfter?: Date;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) @IsOptional() @IsDate() createdBefore?: Date;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) @IsOptional() @IsDate() updatedAfter?: Date;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) @IsOptional() @IsDate() updatedBefore?: Date;
  @Field(() => ID, { nullable: true, description: "A view's filter (see views), combined with the others given" }) @IsOptional() @IsString() @MaxLength(40) view?: string;
}

@InputType()
export class TicketSort {
  @Field(() => TicketSortField, { defaultValue: TicketSortField.CREATED_AT }) @IsEnum(TicketSortField) field: TicketSortField = TicketSortField.CREATED_AT;
  @Field(() => SortDirection, { defaultValue: SortDirection.DESC }) @IsEnum(SortDirection) direction: SortDirection = SortDirection.DESC;
}

@InputType()
export class NewRequesterInput {
  @Field() @Length(1, 200) name!: string;
  @Field() @IsEmail() @MaxLength(254) email!: string;
}

const BODY_DOC = 'Plain text; or give htmlBody instead';
const HTML_DOC = 'The body with formatting (HTML, sanitized when stored); instead of body';

@InputType()
export class CreateTicketInput {
  @Field() @Length(1, 200) subject!: string;
  @Field({ nullable: true, description: BODY_DOC }) @IsOptional() @Length(1, 20000) body?: string;
  @Field({ nullable: true, description: HTML_DOC }) @IsOptional() @Length(1, 100000) htmlBody?: string;
  @Field(() => NewRequesterInput, { nullable: true, description: 'Staff only: file it for a person who may have no account yet (an existing address is that person); instead of requesterId' })
  @IsOptional()
  @ValidateNested()
  newRequester?: NewRequesterInput;
  @Field(() => [String], { nullable: true, description: 'Staff only' }) @IsOptional() @ArrayMaxSize(20) @IsString({ each: true }) @MaxLength(40, { each: true }) tags?: string[];
  @Field(() => [String], { nullable: true, description: 'Addresses to copy on public replies' }) @IsOptional() @ArrayMaxSize(10) @IsEmail({}, { each: true }) ccEmails?: string[];
  @Field(() => TicketPriorityEnum, { nullable: true }) @IsOptional() @IsEnum(TicketPriorityEnum) priority?: TicketPriorityEnum;
  @Field(() => TicketChannelEnum, { nullable: true }) @IsOptional() @IsEnum(TicketChannelEnum) channel?: TicketChannelEnum;
  @Field(() => ID, { nullable: true, description: 'Staff only; a requester always files for themselves' })
  @IsOptional()
  @IsUUID()
  requesterId?: string;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() assigneeId?: string;
  @Field(() => ID, { nullable: true, description: 'Staff only' }) @IsOptional() @IsUUID() groupId?: string;
  @Field(() => [ID], { nullable: true, description: 'Files uploaded to POST /api/tickets/attachments to put on this message (one’s own, not yet on a message; at most 20)' })
  @IsOptional()
  @ArrayMaxSize(20)
  @IsUUID('all', { each: true })
  attachmentIds?: string[];
}

@InputType()
export class UpdateTicketInput {
  @Field({ nullable: true }) @IsOptional() @Length(1, 200) subject?: string;
  @Field({ nullable: true, description: BODY_DOC }) @IsOptional() @Length(1, 20000) body?: string;
  @Field({ nullable: true, description: HTML_DOC }) @IsOptional() @Length(1, 100000) htmlBody?: string;
  @Field(() => [String], { nullable: true, description: 'The whole new set of tags' }) @IsOptional() @ArrayMaxSize(20) @IsString({ each: true }) @MaxLength(40, { each: true }) tags?: string[];
  @Field(() => [String], { nullable: true, description: 'The whole new list of copied addresses' }) @IsOptional() @ArrayMaxSize(10) @IsEmail({}, { each: true }) ccEmails?: string[];
  @Field(() => TicketStatusEnum, { nullable: true }) @IsOptional() @IsEnum(TicketStatusEnum) status?: TicketStatusEnum;
  @Field(() => TicketPriorityEnum, { nullable: true }) @IsOptional() @IsEnum(TicketPriorityEnum) priority?: TicketPriorityEnum;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() requesterId?: string;
  @Field(() => ID, { nullable: true, description: 'null unassigns' }) @IsOptional() @IsUUID() assigneeId?: string | null;
  @Field(() => ID, { nullable: true, description: 'null takes it out of its group' }) @IsOptional() @IsUUID() groupId?: string | null;
}

@InputType()
export class AddCommentInput {
  @Field({ nullable: true, description: BODY_DOC }) @IsOptional() @Length(1, 20000) body?: string;
  @Field({ nullable: true, description: HTML_DOC }) @IsOptional() @Length(1, 100000) htmlBody?: string;
  @Field(() => TicketStatusEnum, {
    nullable: true,
    description: 'The status to set with the reply, in one step ("Submit as solved"). Staff: any (tickets.update); requesters: SOLVED only',
  })
  @IsOptional()
  @IsEnum(TicketStatusEnum)
  status?: TicketStatusEnum;
  @Field({ defaultValue: true, description: 'false makes an internal note (staff only)' }) @IsBoolean() public: boolean = true;
  @Field(() => [ID], { nullable: true, description: 'Files uploaded to POST /api/tickets/attachments to put on this message (one’s own, not yet on a message; at most 20)' })
  @IsOptional()
  @ArrayMaxSize(20)
  @IsUUID('all', { each: true })
  attachmentIds?: string[];
}

@ObjectType('TicketExportLink')
export class TicketExportLink {
  @Field({ description: 'A one-time link: GET it once within five minutes (the link is the credential)' }) url!: string;
  @Field(() => GraphQLDateTimeISO) expiresAt!: Date;
}

@InputType()
export class CreateViewInput {
  @Field() @Length(1, 60) name!: string;
  @Field(() => TicketFilter) @ValidateNested() filter!: TicketFilter;
}
