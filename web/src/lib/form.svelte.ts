import { createContext } from 'svelte';
import { SvelteSet } from 'svelte/reactivity';
import type { FieldErrors } from './api.ts';
import type { ErrorTarget } from './handle-error.ts';

/** The state one `<Form>` shares with its `<Field>`s: the errors of its last submission. */
export class FormState implements ErrorTarget {
  message = $state<string | null>(null);
  fields = $state<FieldErrors>({});
  /** Names of the fields shown in the form; an error for any other name is shown with the form's message. */
  readonly names = new SvelteSet<string>();

  clear() {
    this.message = null;
    this.fields = {};
  }
}

export const [getFormState, setFormState] = createContext<FormState>();
