import { buildMessage, ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Characters as PostgreSQL's `length()` counts them: code points. class-validator's own Length
 * and MaxLength count an emoji's presentation selector (U+FE0F) as nothing, so a subject of 200
 * letters and one selector passed the input check and failed the table's (a 500, E9). Every
 * input's length is checked with these instead; their names and messages are class-validator's.
 */
export function charCount(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

const within = (value: unknown, min: number, max?: number) =>
  typeof value === 'string' && charCount(value) >= min && (max === undefined || charCount(value) <= max);

/** A string of `min` to `max` characters (code points). */
export function Length(min: number, max?: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isLength',
      constraints: [min, max],
      validator: {
        validate: (value) => within(value, min, max),
        // class-validator's words, which the console turns into a person's (field-errors.ts).
        defaultMessage: buildMessage((each, args) => {
          const value = typeof args?.value === 'string' ? args.value : '';
          if (charCount(value) < min) return `${each}$property must be longer than or equal to $constraint1 characters`;
          if (max !== undefined && charCount(value) > max) return `${each}$property must be shorter than or equal to $constraint2 characters`;
          return `${each}$property must be longer than or equal to $constraint1 and shorter than or equal to $constraint2 characters`;
        }, options),
      },
    },
    options,
  );
}

/** A string of at most `max` characters (code points). */
export function MaxLength(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxLength',
      constraints: [max],
      validator: {
        validate: (value) => within(value, 0, max),
        defaultMessage: buildMessage((each) => `${each}$property must be shorter than or equal to $constraint1 characters`, options),
      },
    },
    options,
  );
}
