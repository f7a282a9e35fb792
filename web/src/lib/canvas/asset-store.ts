// Where the canvas keeps pictures: uploaded through the media API into the comic's private media, and
// referenced from the document by URL (`/api/v1/media/<id>/file`); the bytes never go into Yjs.
import type { TLAssetStore } from 'tldraw';
import { api } from '#lib/api.ts';
import { reportUploadError } from '#lib/upload-errors.ts';

export function createAssetStore(comicId: string): TLAssetStore {
  return {
    async upload(_asset, file) {
      try {
        const item = await api.media.upload(file, { comicId, filename: file.name });
        return { src: item.url, meta: { mediaId: item.id } };
      } catch (error) {
        // tldraw says the upload failed; the API says why (too big, not an image, the virus scan).
        reportUploadError(error, file.name);
        throw error;
      }
    },
    // Same origin, served to members by the API: the stored URL is the one to load.
    resolve: (asset) => ('src' in asset.props ? (asset.props.src as string | null) : null),
    // Removing a picture from the canvas keeps the upload: undo may bring it back, and it stays in the
    // person's media library.
  };
}
