import { IsInt, IsOptional } from 'class-validator';
import { Field, InputType, Int, ObjectType } from 'type-graphql';

@ObjectType('RateLimitBudgets', { description: 'Cost points per minute (an operation costs what it asks for: fields, times page sizes)' })
export class RateLimitBudgetsView {
  @Field(() => Int, { description: 'Each signed-in person' }) perUser!: number;
  @Field(() => Int, { description: 'Each API token' }) perToken!: number;
  @Field(() => Int, { description: 'The whole workspace together' }) perTenant!: number;
}

@ObjectType('RateLimits', { description: 'The workspace’s rate limits (H4), within the platform’s maximums' })
export class RateLimitsView {
  @Field(() => RateLimitBudgetsView, { description: 'In force now: the workspace’s own values, else the platform’s defaults' }) current!: RateLimitBudgetsView;
  @Field(() => RateLimitBudgetsView, { description: 'What applies where the workspace sets nothing' }) defaults!: RateLimitBudgetsView;
  @Field(() => RateLimitBudgetsView, { description: 'The most a workspace may set' }) maximums!: RateLimitBudgetsView;
  @Field({ description: 'The workspace sets its own values (else the defaults apply)' }) custom!: boolean;
  @Field(() => Int, { description: 'Each client address without a credential (sign-in, resets): the platform’s, for every workspace' }) anonymousPerAddress!: number;
  @Field(() => Int, { description: 'Length of the window the budgets are counted in' }) windowSeconds!: number;
  @Field({ description: 'Whether the platform counts at all (off only where operators turned it off)' }) enabled!: boolean;
}

/** Null (or left out) puts a budget back to the platform's default. Bounds are checked by the service (they are configuration). */
@InputType()
export class RateLimitsInput {
  @Field(() => Int, { nullable: true }) @IsOptional() @IsInt() perUser?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @IsInt() perToken?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @IsInt() perTenant?: number | null;
}
