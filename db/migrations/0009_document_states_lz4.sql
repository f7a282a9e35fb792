-- A comic's whole Yjs state is written on every store, and copied into each of its versions: lz4 compresses
-- it for a fraction of the CPU that Postgres' default (pglz) takes, and decompresses it faster. States
-- written before keep pglz until their next store. A server built without lz4 keeps pglz.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
    ALTER TABLE "comic_documents" ALTER COLUMN "state" SET COMPRESSION lz4;
    ALTER TABLE "comic_versions" ALTER COLUMN "state" SET COMPRESSION lz4;
  END IF;
END $$;
