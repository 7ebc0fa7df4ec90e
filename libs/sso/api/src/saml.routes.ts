import type { HttpRouter } from '@bulwark/platform-api';

/** SAML 2.0 routes (metadata, start, ACS, single logout): being written (issue 17). */
export function samlRoutes(router: HttpRouter): void {
  void router;
}
