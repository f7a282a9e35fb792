ALTER TABLE "comics" ADD COLUMN "published_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "comics" ADD COLUMN "published_from" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "comics" ADD COLUMN "published_snapshot" jsonb;--> statement-breakpoint
ALTER TABLE "comics" ADD COLUMN "read_count" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "comics" ADD COLUMN "search" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('english', coalesce(published_snapshot->>'title', '')), 'A') || setweight(to_tsvector('simple', coalesce(published_snapshot->>'author', '')), 'A') || setweight(to_tsvector('english', coalesce(published_snapshot->>'description', '')), 'B') || setweight(jsonb_to_tsvector('english', coalesce(jsonb_path_query_array(published_snapshot, '$.summary.pages[*].panels[*].text[*]'), '[]'::jsonb), '["string"]'), 'C')) STORED;--> statement-breakpoint
CREATE INDEX "idx_comics_gallery" ON "comics" USING btree ("privacy","published_at" DESC NULLS LAST) WHERE "comics"."is_published";--> statement-breakpoint
CREATE INDEX "idx_comics_search" ON "comics" USING gin ("search");--> statement-breakpoint
-- No comic had a published snapshot before: all are unpublished, hence private (PATCH could set privacy).
UPDATE "comics" SET "is_published" = false, "privacy" = 'private';--> statement-breakpoint
ALTER TABLE "comics" ADD CONSTRAINT "comics_publication" CHECK (("comics"."is_published" and "comics"."privacy" <> 'private' and "comics"."published_at" is not null and "comics"."published_from" is not null and "comics"."published_snapshot" is not null) or (not "comics"."is_published" and "comics"."privacy" = 'private' and "comics"."published_snapshot" is null));--> statement-breakpoint
ALTER TABLE "comics" ADD CONSTRAINT "comics_read_count" CHECK ("comics"."read_count" >= 0);