-- Stored events keep their identity: body_hash is the first 128 bits of the SHA-256 kept in body_sha256.
ALTER TABLE "webhook_events" ADD COLUMN "body_hash" uuid;--> statement-breakpoint
UPDATE "webhook_events" SET "body_hash" = substring("body_sha256" from 1 for 32)::uuid;--> statement-breakpoint
ALTER TABLE "webhook_events" ALTER COLUMN "body_hash" SET NOT NULL;--> statement-breakpoint
DROP INDEX "webhook_events_body_sha256_idx";--> statement-breakpoint
ALTER TABLE "webhook_events" DROP COLUMN "body_sha256";--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_events_body_hash_idx" ON "webhook_events" USING btree ("body_hash");
