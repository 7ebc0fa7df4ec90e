import { IsIn, IsOptional, IsString } from 'class-validator';
import { Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { TEMPLATE_KINDS, type TemplateKind } from './templates';

export const MailTemplateKind = Object.fromEntries(TEMPLATE_KINDS.map((k) => [k, k])) as { [K in TemplateKind]: K };
registerEnumType(MailTemplateKind, { name: 'MailTemplateKind', description: 'A kind of mail the workspace sends about tickets' });

@ObjectType('MailTemplate', { description: 'The wording of one kind of mail: the workspace’s own, or the default' })
export class MailTemplateView {
  @Field(() => MailTemplateKind) kind!: TemplateKind;
  @Field({ description: 'What this mail is, in words' }) title!: string;
  @Field({ description: 'Who receives it, and when' }) description!: string;
  @Field(() => [String], { description: 'The values it may place, as {{name}}' }) variables!: string[];
  @Field() subject!: string;
  @Field({ description: 'The plain-text part, which every message has' }) text!: string;
  @Field(() => String, { nullable: true, description: 'The HTML part; null: made from the text' }) html!: string | null;
  @Field({ description: 'The workspace changed it (else the default applies)' }) customized!: boolean;
  @Field(() => Date, { nullable: true }) updatedAt!: Date | null;
}

@InputType()
export class MailTemplateInput {
  @Field(() => MailTemplateKind) @IsIn(TEMPLATE_KINDS) kind!: TemplateKind;
  // Lengths and names are checked by checkTemplate, which words each field's error for a person.
  @Field() @IsString() subject!: string;
  @Field() @IsString() text!: string;
  @Field(() => String, { nullable: true, description: 'Null or empty: made from the text' }) @IsOptional() @IsString() html?: string | null;
}

@ObjectType('MailPreview', { description: 'A template rendered with sample values, as a recipient would read it' })
export class MailPreviewView {
  @Field() subject!: string;
  @Field() text!: string;
  @Field({ description: 'Already made safe: the tags a template may not use are removed' }) html!: string;
}

@ObjectType('MailSigningKey', { description: 'The DKIM key outbound mail is signed with, as the DNS record to publish' })
export class MailSigningKeyView {
  @Field({ description: 'The domain the signature is made for' }) domain!: string;
  @Field() selector!: string;
  @Field({ description: 'Where to publish the TXT record' }) name!: string;
  @Field({ description: 'The TXT record’s value' }) value!: string;
  @Field() algorithm!: string;
}
