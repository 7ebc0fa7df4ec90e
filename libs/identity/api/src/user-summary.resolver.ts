import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { hasPermission, type Principal, type RequestContext } from '@bulwark/platform-api';
import { UserPermission } from './identity.permissions';
import { UserSummary } from './identity.types';

/** `jane.doe@example.com` → `j***@example.com`: enough to tell people apart, not to reach them. */
export function maskEmail(email: string): string {
  const at = email.indexOf('@');
  return at > 0 ? `${email[0]}***${email.slice(at)}` : '***';
}

/** `+1 (555) 010-4477` → `***77`: the last two digits, no more. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return `***${digits.slice(-2)}`;
}

/**
 * Whose personal data (email, phone) `p` may read: everyone's with `users.viewPii`, else a signed-in
 * person's own only. The fields below and the people search (D13) both go by this, so what can
 * be found is never more than what can be read.
 */
export function piiReadable(p: Principal | null): 'all' | { own: string } | 'none' {
  if (hasPermission(p, UserPermission.viewPii)) return 'all';
  return p?.kind === 'user' ? { own: p.userId } : 'none';
}

export function mayReadPii(p: Principal | null, userId: string): boolean {
  const readable = piiReadable(p);
  return readable === 'all' || (readable !== 'none' && readable.own === userId);
}

/** A person's email as `p` may see it. */
export const emailAs = (p: Principal | null, u: { id: string; email: string }): string => (mayReadPii(p, u.id) ? u.email : maskEmail(u.email));

/** A person's phone number as `p` may see it. */
export const phoneAs = (p: Principal | null, u: { id: string; phone: string | null }): string | null =>
  !u.phone ? null : mayReadPii(p, u.id) ? u.phone : maskPhone(u.phone);

/**
 * D3: the field rule lives on the concrete type, so it holds on every path that reaches a person
 * (ticket requester, assignee, comment author, people list, and any interface or union later).
 * People without `users.viewPii` see masked addresses, except their own.
 */
@Resolver(() => UserSummary)
export class UserSummaryResolver {
  @FieldResolver(() => String)
  email(@Root() u: UserSummary, @Ctx() ctx: RequestContext): string {
    return emailAs(ctx.principal, u);
  }

  @FieldResolver(() => String, { nullable: true })
  phone(@Root() u: UserSummary, @Ctx() ctx: RequestContext): string | null {
    return phoneAs(ctx.principal, u);
  }
}
