import { IsNotEmpty } from 'class-validator';
import { Field, InputType, ObjectType } from 'type-graphql';
import { MaxLength } from '@bulwark/platform-api';

@ObjectType('TwoFactorEnrolment', { description: 'Scan the QR code (or type the secret) into an authenticator app, then confirm with a code' })
export class TwoFactorEnrolment {
  @Field({ description: 'Base32, for typing in by hand; not shown again' }) secret!: string;
  @Field() otpauthUrl!: string;
  @Field({ description: 'The otpauth URL as an SVG QR code' }) qrSvg!: string;
}

@ObjectType('RecoveryCodes', { description: 'Single-use codes for when the authenticator is lost; shown once, stored hashed' })
export class RecoveryCodes {
  @Field(() => [String]) codes!: string[];
}

@InputType()
export class VerifyTwoFactorInput {
  @Field({ description: 'The challenge from login' }) @IsNotEmpty() @MaxLength(100) challenge!: string;
  @Field({ description: 'A 6-digit code from the authenticator app, or a recovery code' }) @IsNotEmpty() @MaxLength(40) code!: string;
}
