import { describe, expect, it, vi } from 'vitest';
import { ApiError } from './api.ts';
import { uploadErrorMessage } from './upload-errors.ts';

// The toasts are runes (compiled by Svelte in the app); the wording does not need them.
vi.mock('./toasts.svelte.ts', () => ({ toasts: { show: () => undefined } }));

describe('the wording of a refused upload', () => {
  it('says the limit when a file is too large, from the API or from a proxy in front of it', () => {
    const api = new ApiError(413, 'payload_too_large', 'The file is over the 20 MB limit', {}, { limit: '20 MB' });
    expect(uploadErrorMessage(api, 'big.png')).toBe('“big.png” is too large: pictures may be up to 20 MB.');
    const proxy = new ApiError(413, 'http_error', 'The server answered 413 Payload Too Large');
    expect(uploadErrorMessage(proxy, 'big.png')).toBe('“big.png” is too large: pictures may be up to the size limit.');
  });

  it('names the accepted types for a file that is not one, and says when the virus scan blocked it', () => {
    expect(uploadErrorMessage(new ApiError(415, 'unsupported_file_type', 'Only PNG…'), 'notes.txt')).toBe(
      '“notes.txt” is not an image Inkwell accepts: upload a PNG, JPEG, WebP or GIF file.',
    );
    expect(uploadErrorMessage(new ApiError(422, 'infected_file', 'This file was refused by the virus scanner'), 'x.png')).toBe(
      '“x.png” was blocked by the virus scan and was not uploaded.',
    );
  });

  it('keeps the API’s own words for anything else, and says when Inkwell could not be reached', () => {
    expect(uploadErrorMessage(new ApiError(429, 'rate_limited', 'Too many uploads: try again in 30 seconds'), 'a.png')).toBe(
      '“a.png” was not uploaded: Too many uploads: try again in 30 seconds',
    );
    expect(uploadErrorMessage(new TypeError('Failed to fetch'), 'a.png')).toBe('“a.png” was not uploaded: Inkwell could not be reached. Check your connection and try again.');
  });
});
