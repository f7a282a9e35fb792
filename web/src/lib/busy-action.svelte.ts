import { handleError } from './handle-error.ts';

/**
 * Runs the actions of a component's buttons: `busy` names the button whose action is running (for its
 * `disabled`), and a failure becomes a toast prefixed with `context`, what was being done.
 */
export function createBusyAction() {
  let busy = $state<string | null>(null);
  return {
    get busy() {
      return busy;
    },
    async run(name: string, context: string, action: () => Promise<void>): Promise<void> {
      busy = name;
      try {
        await action();
      } catch (error) {
        handleError(error, context);
      } finally {
        busy = null;
      }
    },
  };
}
