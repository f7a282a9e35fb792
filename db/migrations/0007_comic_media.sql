ALTER TABLE "comics" ADD COLUMN "media_ids" uuid[];--> statement-breakpoint
CREATE INDEX "idx_comics_media" ON "comics" USING gin ("media_ids");--> statement-breakpoint
CREATE INDEX "idx_comics_media_underived" ON "comics" USING btree ("id") WHERE "comics"."media_ids" is null;--> statement-breakpoint
CREATE INDEX "idx_comics_published_media" ON "comics" USING gin (jsonb_path_query_array(published_snapshot, '$.summary.pages[*].panels[*].images[*]'));