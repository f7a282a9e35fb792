// Document names: one Yjs document per comic, named `comic:<uuid>`, the uuid in lower case.
const NAME = /^comic:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function documentNameOf(comicId: string): string {
  return `comic:${comicId.toLowerCase()}`;
}

/**
 * The comic a document name stands for, or null when it is not a comic's document. Only the canonical
 * (lower-case) name counts, so that one comic is never open under two names that access changes must find.
 */
export function comicIdOf(documentName: string): string | null {
  return NAME.exec(documentName)?.[1] ?? null;
}
