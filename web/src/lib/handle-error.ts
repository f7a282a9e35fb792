import { ApiError, type FieldErrors } from './api.ts';
import { toasts } from './toasts.svelte.ts';

/** Where a failed action shows its error: a form's own message and fields, or (by default) a toast. */
export interface ErrorTarget {
  message: string | null;
  fields: FieldErrors;
}

/** What a person should read about a failure, whatever threw it. */
export function errorMessage(error: unknown): string {
  // The API's messages are written for people, a rate limit's included ("try again in 48 seconds").
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return 'Inkwell could not be reached. Check your connection and try again.';
  return 'Something went wrong. Please try again.';
}

/**
 * The one way UI actions report failures: field errors go next to their fields, the rest becomes a message
 * in the form (`target`) or a toast prefixed with what was being done (`context`).
 */
export function handleError(error: unknown, context: string, target?: ErrorTarget): void {
  if (!(error instanceof ApiError) || error.status >= 500) console.error(context, error);
  const message = errorMessage(error);
  if (!target) {
    toasts.show('error', `${context}: ${message}`);
    return;
  }
  target.fields = error instanceof ApiError ? error.fields : {};
  // With every problem shown at its field, the general "invalid input" line adds nothing.
  target.message = Object.keys(target.fields).length > 0 ? null : message;
}
