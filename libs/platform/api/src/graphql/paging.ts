import { Max, Min } from 'class-validator';
import { Field, InputType, Int, registerEnumType } from 'type-graphql';

export enum SortDirection {
  ASC = 'asc',
  DESC = 'desc',
}
registerEnumType(SortDirection, { name: 'SortDirection' });

/** SECURITY.md E2: every list has a default and a maximum page size. */
export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

@InputType()
export class PageInput {
  @Field(() => Int, { defaultValue: 0 })
  @Min(0)
  @Max(1_000_000)
  offset: number = 0;

  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `At most ${MAX_PAGE_SIZE}` })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = DEFAULT_PAGE_SIZE;
}
