/**
 * One wording for each refused upload, wherever a picture is uploaded (a drop or paste on the canvas, the
 * canvas's media tool, the panel form, the studio, the media library): the API says why with a code, and
 * this module says it to people.
 */
import { ApiError } from './api.ts';
import { errorMessage } from './handle-error.ts';
import { toasts } from './toasts.svelte.ts';

/** What the API accepts, decided from the bytes (for a file input's `accept`). */
export const ACCEPTED_IMAGE_TYPES = 'image/png,image/jpeg,image/webp,image/gif';
const ACCEPTED_NAMES = 'PNG, JPEG, WebP or GIF';

/** Why `filename` was not uploaded, in the site's words. */
export function uploadErrorMessage(error: unknown, filename: string): string {
  const name = `“${filename}”`;
  if (!(error instanceof ApiError)) return `${name} was not uploaded: ${errorMessage(error)}`;
  switch (error.status === 413 ? 'payload_too_large' : error.code) {
    case 'payload_too_large': {
      const limit = (error.details as { limit?: unknown } | undefined)?.limit;
      return `${name} is too large: pictures may be up to ${typeof limit === 'string' ? limit : 'the size limit'}.`;
    }
    case 'unsupported_file_type':
      return `${name} is not an image Inkwell accepts: upload a ${ACCEPTED_NAMES} file.`;
    case 'invalid_image':
      return `${name} could not be opened as an image: it is damaged, or has too many pixels. Try a ${ACCEPTED_NAMES} file.`;
    case 'empty_file':
      return `${name} is empty.`;
    case 'infected_file':
      return `${name} was blocked by the virus scan and was not uploaded.`;
    default:
      return `${name} was not uploaded: ${error.message}`;
  }
}

/** Reports a refused upload where there is no form to show it in. */
export function reportUploadError(error: unknown, filename: string): void {
  if (!(error instanceof ApiError) || error.status >= 500) console.error('upload', error);
  toasts.show('error', uploadErrorMessage(error, filename));
}
