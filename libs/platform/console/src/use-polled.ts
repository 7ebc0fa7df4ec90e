import { useEffect, useState } from 'react';
import { gql } from './graphql';

/**
 * The answer of `query`, asked at once and again every `everyMs` (banners that must show a change
 * made elsewhere within moments: lockdown, vendor support access). Failures keep the last answer.
 */
export function usePolled<T>(query: string, everyMs = 30_000): T | null {
  const [value, setValue] = useState<T | null>(null);
  useEffect(() => {
    let alive = true;
    const check = () =>
      gql<T>(query)
        .then((d) => alive && setValue(d))
        .catch(() => undefined);
    void check();
    const timer = setInterval(check, everyMs);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [query, everyMs]);
  return value;
}
