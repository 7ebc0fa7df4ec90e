import { GraphQLDateTimeISO, MaxLength } from '@bulwark/platform-api';
import { ArrayMaxSize, IsEnum, IsOptional, IsString } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum SenderPolicyEnum {
  HOLD = 'hold',
  UNVERIFIED = 'unverified',
}
registerEnumType(SenderPolicyEnum, {
  name: 'MailSenderPolicy',
  description: 'What happens to mail whose sender could not be verified (no aligned DMARC pass)',
  valuesConfig: {
    HOLD: { description: 'Held for an admin to release or discard (the default)' },
    UNVERIFIED: { description: 'Filed at once as a ticket from an unverified sender, attached to nobody' },
  },
});

@ObjectType('MailListener', { description: 'Where the inbound SMTP listener takes mail' })
export class MailListenerView {
  @Field() host!: string;
  @Field(() => Int) port!: number;
  @Field({ description: 'Whether it offers STARTTLS' }) tls!: boolean;
}

@ObjectType('MailSettings', { description: 'How the workspace takes email in' })
export class MailSettingsView {
  @Field({ description: 'The address to give out, or to forward the workspace’s own support address to' }) workspaceAddress!: string;
  @Field({ description: 'The domain of every workspace address' }) domain!: string;
  @Field(() => [String], { description: 'The workspace’s own support addresses that forward here (mail from them is never filed: a loop)' }) forwardingAddresses!: string[];
  @Field(() => SenderPolicyEnum) senderPolicy!: SenderPolicyEnum;
  @Field({ description: 'A secret for the HTTP endpoint exists (it is shown once, when made)' }) inboundSecretSet!: boolean;
  @Field({ description: 'The HTTP endpoint a mail provider posts raw messages to' }) inboundUrl!: string;
  @Field(() => MailListenerView, { nullable: true, description: 'The SMTP listener, when this installation runs one' }) listener!: MailListenerView | null;
  @Field(() => Int, { description: 'The largest message accepted, in bytes' }) maxBytes!: number;
}

@InputType()
export class MailSettingsInput {
  @Field(() => SenderPolicyEnum, { nullable: true }) @IsOptional() @IsEnum(SenderPolicyEnum) senderPolicy?: SenderPolicyEnum;
  // Each address is checked by the service, so that the message names the one that is wrong.
  @Field(() => [String], { nullable: true, description: 'Replaces the list (at most 50)' })
  @IsOptional()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(320, { each: true })
  forwardingAddresses?: string[];
}

@ObjectType('MailInboundSecret', { description: 'A new secret for the HTTP endpoint: shown this once, stored only as a hash' })
export class MailInboundSecretView {
  @Field({ description: 'Send as `Authorization: Bearer <secret>`; the previous secret stopped working' }) secret!: string;
  @Field(() => MailSettingsView) settings!: MailSettingsView;
}

@ObjectType('MailAuthenticationSummary', { description: 'The sender checks, as they came out' })
export class MailAuthenticationView {
  @Field({ nullable: true, description: 'The From: domain checked' }) domain?: string;
  @Field() spf!: string;
  @Field() dkim!: string;
  @Field() dmarc!: string;
  @Field() arc!: string;
  @Field({ description: 'An aligned SPF or DKIM pass vouches for the From: domain' }) authenticated!: boolean;
}

@ObjectType('HeldMail', { description: 'An email held because its sender could not be verified' })
export class HeldMailView {
  @Field(() => ID) id!: string;
  /** The claimed sender; a field resolver masks it as people's emails are. */
  from!: string;
  @Field() subject!: string;
  @Field({ description: 'Why it is held, in words' }) reason!: string;
  @Field(() => MailAuthenticationView, { nullable: true }) authentication!: MailAuthenticationView | null;
  @Field(() => GraphQLDateTimeISO, { description: 'When it arrived' }) receivedAt!: Date;
  @Field({ description: 'held, released or discarded' }) status!: string;
  @Field(() => ID, { nullable: true, description: 'The ticket it became, once released' }) ticketId!: string | null;
}

@ObjectType('HeldMailPage')
export class HeldMailPage {
  @Field(() => [HeldMailView]) nodes!: HeldMailView[];
  @Field(() => Int) totalCount!: number;
}
