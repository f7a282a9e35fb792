ALTER TABLE "media" ADD COLUMN "comic_id" uuid;--> statement-breakpoint
ALTER TABLE "media" ADD CONSTRAINT "media_comic_id_comics_id_fk" FOREIGN KEY ("comic_id") REFERENCES "public"."comics"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idx_media_comic_id" ON "media" USING btree ("comic_id");