DROP INDEX "webhook_events_state_idx";--> statement-breakpoint
DROP INDEX "webhook_events_received_idx";--> statement-breakpoint
CREATE INDEX "webhook_events_unfinished_idx" ON "webhook_events" USING btree ("id") WHERE "webhook_events"."state" in ('received', 'processing', 'failed');