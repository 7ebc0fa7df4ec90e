import { useCallback, useState } from 'react';
import { useNotify } from 'react-admin';
import { GraphQLRequestError } from './graphql';

/**
 * Saving a settings form: one save at a time (`busy`), the server's field errors kept for their
 * fields to show (`errors`, BAD_USER_INPUT), and a notice either way. `save` resolves with the
 * answer, or undefined when it failed (the notice has said why).
 */
export function useFormSave() {
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useCallback(
    async <T>(run: () => Promise<T>, saved: string): Promise<T | undefined> => {
      setBusy(true);
      try {
        const answer = await run();
        setErrors({});
        notify(saved, { type: 'success' });
        return answer;
      } catch (e) {
        if (e instanceof GraphQLRequestError && e.fields) setErrors(e.fieldMessages);
        // The fields say what is wrong with each; the notice says so once.
        notify(e instanceof GraphQLRequestError ? e.summary : (e as Error).message, { type: 'error' });
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [notify],
  );
  return { busy, errors, setErrors, save };
}
