import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { hasPermission, type RequestContext } from '@bulwark/platform-api';
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
 * D3: the field rule lives on the concrete type, so it holds on every path that reaches a person
 * (ticket requester, assignee, comment author, people list, and any interface or union later).
 * People without `users.viewPii` see masked addresses, except their own.
 */
@Resolver(() => UserSummary)
export class UserSummaryResolver {
  @FieldResolver(() => String)
  email(@Root() u: UserSummary, @Ctx() ctx: RequestContext): string {
    const p = ctx.principal;
    if (hasPermission(p, UserPermission.viewPii) || (p?.kind === 'user' && p.userId === u.id)) return u.email;
    return maskEmail(u.email);
  }

  @FieldResolver(() => String, { nullable: true })
  phone(@Root() u: UserSummary, @Ctx() ctx: RequestContext): string | null {
    if (!u.phone) return null;
    const p = ctx.principal;
    if (hasPermission(p, UserPermission.viewPii) || (p?.kind === 'user' && p.userId === u.id)) return u.phone;
    return maskPhone(u.phone);
  }
}
