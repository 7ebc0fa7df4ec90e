/** A feature's name in words, where its key alone would read oddly ("scim", "sso"). */
const FEATURES: Record<string, string> = {
  audit: 'Audit log',
  identity: 'Sign-in',
  limits: 'Rate limits',
  scim: 'SCIM provisioning',
  spam: 'Spam watcher',
  sso: 'Single sign-on',
  support: 'Vendor support',
  tokens: 'API tokens',
};

/** "scim" → "SCIM provisioning"; any other key capitalized ("backups" → "Backups"). */
export function featureLabel(feature: string): string {
  return FEATURES[feature] ?? feature.charAt(0).toUpperCase() + feature.slice(1);
}
