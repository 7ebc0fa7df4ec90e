import { Alert, Link } from '@mui/material';
import { formatDateTime, usePolled, type Api } from '@bulwark/platform-console';

type Status = {
  grants: Pick<Api.SupportGrant, 'id' | 'expiresAt' | 'ticketSubject'>[];
  operatorSession: Pick<Api.SupportSessionInfo, 'workspaceName' | 'operatorName' | 'until'> | null;
};
const STATUS = `{ supportAccessStatus { grants { id expiresAt ticketSubject } operatorSession { workspaceName operatorName until } } }`;


/**
 * Whose data a vendor operator is in, and until when; and, for the workspace's admins and
 * auditors, that the vendor holds access now (issue 18 §1). Checked again every 30 seconds, so a
 * grant that ends shows at once.
 */
export function SupportBanner() {
  const status = usePolled<{ supportAccessStatus: Status }>(STATUS)?.supportAccessStatus;
  if (status?.operatorSession) {
    const s = status.operatorSession;
    return (
      <Alert severity="info" sx={{ borderRadius: 0 }} role="status" data-testid="support-operator-banner">
        Vendor support: you are working in <strong>{s.workspaceName}</strong>’s data as {s.operatorName}, until {formatDateTime(s.until)} at the latest. Everything you open or change is
        recorded in their audit log, and your access ends when they close the request.
      </Alert>
    );
  }
  if (!status?.grants.length) return null;
  const last = status.grants.reduce((a, b) => (a.expiresAt > b.expiresAt ? a : b));
  return (
    <Alert severity="warning" sx={{ borderRadius: 0 }} role="status" data-testid="support-access-banner">
      Vendor support can access this workspace until {formatDateTime(last.expiresAt)} (request “{last.ticketSubject}”
      {status.grants.length > 1 ? ` and ${status.grants.length - 1} more` : ''}). <Link href="#/support-grants">Review or revoke</Link>
    </Alert>
  );
}
