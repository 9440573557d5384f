DROP INDEX "messages_campaign_idx";--> statement-breakpoint
CREATE INDEX "messages_campaign_idx" ON "messages" USING btree ("campaign_id","status") WHERE "messages"."campaign_id" is not null;