import AddIcon from '@mui/icons-material/Add';
import { Alert, Box, Button, Card, List, ListItemButton, Stack, Tab, Tabs, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { Title, useGetIdentity } from 'react-admin';
import { Link, useSearchParams } from 'react-router-dom';
import { RequestStatus, requestNumber, When } from './portal.common';
import { myRequests, PAGE_SIZE, type PortalTicket, type RequestTab } from './portal.data';

// A session held to its own account (two-factor sign-in to set up, an expired password): the banner says what to do.
const NOT_NOW = 'Your requests cannot be shown right now. If a notice above asks you to do something first, do that and come back.';

/** My requests: the requester's own, open or solved, the latest change first. */
export function MyRequestsPage() {
  const [params, setParams] = useSearchParams();
  const tab: RequestTab = params.get('tab') === 'solved' ? 'solved' : 'open';
  const { identity } = useGetIdentity();
  const me = identity?.id ? String(identity.id) : null;
  const [rows, setRows] = useState<PortalTicket[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);

  useEffect(() => {
    if (!me) return;
    let live = true;
    setRows(null);
    setError(null);
    myRequests(me, tab, 0)
      .then((d) => {
        if (!live) return;
        setRows(d.nodes);
        setTotal(d.totalCount);
      })
      .catch((e: Error & { code?: string }) => live && setError(e.code === 'FORBIDDEN' ? NOT_NOW : e.message));
    return () => {
      live = false;
    };
  }, [me, tab]);

  const more = async () => {
    if (!me || !rows) return;
    setLoadingMore(true);
    try {
      const d = await myRequests(me, tab, rows.length);
      setRows([...rows, ...d.nodes]);
      setTotal(d.totalCount);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <Box>
      <Title title="My requests" />
      <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between', mb: 1, gap: 1 }}>
        <Tabs value={tab} onChange={(_e, v: RequestTab) => setParams(v === 'open' ? {} : { tab: v })} aria-label="Which requests">
          <Tab value="open" label="Open" />
          <Tab value="solved" label="Solved" />
        </Tabs>
        <Button component={Link} to="/requests/new" variant="outlined" startIcon={<AddIcon />} sx={{ display: { xs: 'none', sm: 'inline-flex' } }}>
          New request
        </Button>
      </Stack>
      {error && <Alert severity={error === NOT_NOW ? 'info' : 'error'}>{error}</Alert>}
      {!rows && !error && <Typography color="text.secondary">Loading your requests…</Typography>}
      {rows && rows.length === 0 && (
        <Card variant="outlined" sx={{ p: 3, textAlign: 'center' }}>
          <Typography gutterBottom>{tab === 'open' ? 'You have no open requests.' : 'None of your requests is solved yet.'}</Typography>
          <Button component={Link} to="/requests/new" variant="contained" startIcon={<AddIcon />}>
            New request
          </Button>
        </Card>
      )}
      {rows && rows.length > 0 && (
        <Card variant="outlined">
          <List disablePadding aria-label={tab === 'open' ? 'Open requests' : 'Solved requests'}>
            {rows.map((t, i) => (
              <ListItemButton key={t.id} component={Link} to={`/requests/${t.number}`} divider={i < rows.length - 1} sx={{ display: 'block', py: 1.5 }}>
                <Stack direction={{ xs: 'column', sm: 'row' }} sx={{ gap: { xs: 0.5, sm: 2 }, alignItems: { sm: 'center' } }}>
                  <Box sx={{ flexGrow: 1, minWidth: 0 }}>
                    <Typography sx={{ fontWeight: 500, overflowWrap: 'anywhere' }}>
                      <Box component="span" sx={{ color: 'text.secondary', mr: 1 }}>
                        {requestNumber(t.number)}
                      </Box>
                      {t.subject}
                    </Typography>
                    <Typography variant="body2" color="text.secondary">
                      <When at={t.updatedAt} prefix="Last update" />
                    </Typography>
                  </Box>
                  <Box sx={{ flexShrink: 0 }}>
                    <RequestStatus status={t.status} />
                  </Box>
                </Stack>
              </ListItemButton>
            ))}
          </List>
        </Card>
      )}
      {rows && rows.length < total && (
        <Box sx={{ textAlign: 'center', mt: 2 }}>
          <Button onClick={more} disabled={loadingMore}>
            Show {Math.min(PAGE_SIZE, total - rows.length)} more of {total - rows.length}
          </Button>
        </Box>
      )}
    </Box>
  );
}
