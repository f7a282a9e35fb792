CREATE TABLE "comic_invites" (
	"id" varchar(64) PRIMARY KEY NOT NULL,
	"comic_id" uuid NOT NULL,
	"role" varchar(16) NOT NULL,
	"secret_hash" "bytea" NOT NULL,
	"created_by" uuid,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "comic_invites_role" CHECK ("comic_invites"."role" in ('editor', 'viewer'))
);
--> statement-breakpoint
ALTER TABLE "comic_invites" ADD CONSTRAINT "comic_invites_comic_id_comics_id_fk" FOREIGN KEY ("comic_id") REFERENCES "public"."comics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "comic_invites" ADD CONSTRAINT "comic_invites_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idx_comic_invites_comic_id" ON "comic_invites" USING btree ("comic_id");