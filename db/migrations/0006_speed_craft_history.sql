CREATE TABLE "comic_characters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"comic_id" uuid NOT NULL,
	"name" varchar(80) NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"reference_media_ids" uuid[] NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "comic_characters_references" CHECK (cardinality("comic_characters"."reference_media_ids") between 1 and 4)
);
--> statement-breakpoint
CREATE TABLE "comic_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"comic_id" uuid NOT NULL,
	"kind" varchar(16) NOT NULL,
	"name" varchar(120),
	"state" "bytea" NOT NULL,
	"summary" jsonb NOT NULL,
	"contributor_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "comic_versions_kind" CHECK ("comic_versions"."kind" in ('auto', 'named', 'publish', 'restore'))
);
--> statement-breakpoint
CREATE TABLE "comments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"comic_id" uuid NOT NULL,
	"user_id" uuid,
	"parent_id" uuid,
	"body" text NOT NULL,
	"anchor" jsonb,
	"resolved_at" timestamp with time zone,
	"resolved_by" uuid,
	"edited_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "comments_thread" CHECK (("comments"."parent_id" is null) = ("comments"."anchor" is not null))
);
--> statement-breakpoint
ALTER TABLE "comics" ADD COLUMN "style_lock" jsonb;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "batch_id" uuid;--> statement-breakpoint
ALTER TABLE "media" ADD COLUMN "job_id" uuid;--> statement-breakpoint
-- Results stored before this column named their job in metadata; the earliest one per job keeps the link.
UPDATE "media" SET "job_id" = m."job"::uuid FROM (
	SELECT DISTINCT ON ("metadata"->>'jobId') "id", "metadata"->>'jobId' AS "job" FROM "media"
	WHERE "metadata"->>'jobId' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
		AND EXISTS (SELECT 1 FROM "jobs" WHERE "jobs"."id"::text = "media"."metadata"->>'jobId')
	ORDER BY "metadata"->>'jobId', "created_at"
) m WHERE "media"."id" = m."id";--> statement-breakpoint
ALTER TABLE "comic_characters" ADD CONSTRAINT "comic_characters_comic_id_comics_id_fk" FOREIGN KEY ("comic_id") REFERENCES "public"."comics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "comic_characters" ADD CONSTRAINT "comic_characters_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "comic_versions" ADD CONSTRAINT "comic_versions_comic_id_comics_id_fk" FOREIGN KEY ("comic_id") REFERENCES "public"."comics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "comic_versions" ADD CONSTRAINT "comic_versions_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "comments" ADD CONSTRAINT "comments_comic_id_comics_id_fk" FOREIGN KEY ("comic_id") REFERENCES "public"."comics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "comments" ADD CONSTRAINT "comments_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "comments" ADD CONSTRAINT "comments_parent_id_comments_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."comments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "comments" ADD CONSTRAINT "comments_resolved_by_users_id_fk" FOREIGN KEY ("resolved_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "idx_comic_characters_name" ON "comic_characters" USING btree ("comic_id",lower("name"));--> statement-breakpoint
CREATE INDEX "idx_comic_versions_comic" ON "comic_versions" USING btree ("comic_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_comments_comic" ON "comments" USING btree ("comic_id","created_at");--> statement-breakpoint
CREATE INDEX "idx_comments_parent" ON "comments" USING btree ("parent_id");--> statement-breakpoint
ALTER TABLE "media" ADD CONSTRAINT "media_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idx_jobs_batch_id" ON "jobs" USING btree ("batch_id") WHERE "jobs"."batch_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "idx_media_job_id" ON "media" USING btree ("job_id");