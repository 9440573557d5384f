CREATE TABLE "rule_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"instance_id" uuid NOT NULL,
	"rule_id" uuid NOT NULL,
	"rule_name" text NOT NULL,
	"message_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"matched" text NOT NULL,
	"actions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"outbound_message_ids" uuid[] DEFAULT '{}' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "automation_rules" ALTER COLUMN "action" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "handoff_timeout_hours" integer DEFAULT 24 NOT NULL;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "reply_limit_per_hour" integer DEFAULT 10 NOT NULL;--> statement-breakpoint
ALTER TABLE "automation_rules" ADD COLUMN "conditions" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "automation_rules" ADD COLUMN "actions" jsonb;--> statement-breakpoint
-- Rules move from one action to a list of actions (the next migration drops "action").
UPDATE "automation_rules" SET "actions" = jsonb_build_array("action");--> statement-breakpoint
ALTER TABLE "automation_rules" ALTER COLUMN "actions" SET NOT NULL;--> statement-breakpoint
-- Stored rule templates too: each rule's "action" becomes "actions", with no conditions, stopping.
UPDATE "rule_templates" SET "rules" = (
  SELECT coalesce(jsonb_agg(CASE WHEN r ? 'action' THEN (r - 'action') || jsonb_build_object('actions', jsonb_build_array(r -> 'action'), 'conditions', '[]'::jsonb, 'stop', true) ELSE r END ORDER BY n), '[]'::jsonb)
  FROM jsonb_array_elements("rules") WITH ORDINALITY AS e(r, n)
);--> statement-breakpoint
ALTER TABLE "automation_rules" ADD COLUMN "stop" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "tags" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "handoff_started_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "handoff_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "handoff_note" text;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "last_read_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "automation_rule_id" uuid;--> statement-breakpoint
ALTER TABLE "rule_runs" ADD CONSTRAINT "rule_runs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rule_runs" ADD CONSTRAINT "rule_runs_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rule_runs" ADD CONSTRAINT "rule_runs_rule_id_automation_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."automation_rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rule_runs" ADD CONSTRAINT "rule_runs_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rule_runs" ADD CONSTRAINT "rule_runs_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "rule_runs_rule_message_idx" ON "rule_runs" USING btree ("rule_id","message_id");--> statement-breakpoint
CREATE INDEX "rule_runs_tenant_created_idx" ON "rule_runs" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE INDEX "rule_runs_message_idx" ON "rule_runs" USING btree ("message_id");--> statement-breakpoint
CREATE INDEX "rule_runs_rule_contact_idx" ON "rule_runs" USING btree ("rule_id","contact_id","created_at");