export const STATUS_CHOICES = [
  { id: 'NEW', name: 'New' },
  { id: 'OPEN', name: 'Open' },
  { id: 'PENDING', name: 'Pending' },
  { id: 'SOLVED', name: 'Solved' },
  { id: 'CLOSED', name: 'Closed' },
];
export const PRIORITY_CHOICES = [
  { id: 'LOW', name: 'Low' },
  { id: 'NORMAL', name: 'Normal' },
  { id: 'HIGH', name: 'High' },
  { id: 'URGENT', name: 'Urgent' },
];
export const CHANNEL_CHOICES = [
  { id: 'WEB', name: 'Web' },
  { id: 'EMAIL', name: 'Email' },
  { id: 'PHONE', name: 'Phone' },
  { id: 'MOBILE', name: 'Mobile' },
  { id: 'API', name: 'API' },
];
export const STATUS_COLOR: Record<string, 'default' | 'info' | 'warning' | 'success'> = {
  NEW: 'info',
  OPEN: 'warning',
  PENDING: 'default',
  SOLVED: 'success',
  CLOSED: 'default',
};
