CREATE TABLE "onboarding_invites" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"token_hash" text NOT NULL,
	"business_name" text,
	"rule_template_id" uuid,
	"template_variables" jsonb,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"run_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "onboarding_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"state" text DEFAULT 'running' NOT NULL,
	"input" jsonb NOT NULL,
	"facts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"signup_code" jsonb,
	"business_token" jsonb,
	"pin" jsonb,
	"api_key_secret" jsonb,
	"tenant_id" uuid,
	"phone_number_row_id" uuid,
	"instance_id" uuid,
	"api_key_id" uuid,
	"invite_id" uuid,
	"finished_at" timestamp with time zone,
	"notified_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "onboarding_steps" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"name" text NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"request" jsonb,
	"answer" jsonb,
	"error" jsonb,
	"retry_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "phone_numbers" ADD COLUMN "meta_status" text;--> statement-breakpoint
ALTER TABLE "phone_numbers" ADD COLUMN "name_status" text;--> statement-breakpoint
ALTER TABLE "phone_numbers" ADD COLUMN "messaging_limit_tier" text;--> statement-breakpoint
ALTER TABLE "phone_numbers" ADD COLUMN "meta_checked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "phone_numbers" ADD COLUMN "last_webhook_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "phone_numbers" ADD COLUMN "two_step_pin" jsonb;--> statement-breakpoint
ALTER TABLE "onboarding_runs" ADD CONSTRAINT "onboarding_runs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "onboarding_steps" ADD CONSTRAINT "onboarding_steps_run_id_onboarding_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."onboarding_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "onboarding_invites_token_idx" ON "onboarding_invites" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "onboarding_runs_created_idx" ON "onboarding_runs" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "onboarding_runs_state_idx" ON "onboarding_runs" USING btree ("state","updated_at");--> statement-breakpoint
CREATE INDEX "onboarding_runs_tenant_idx" ON "onboarding_runs" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "onboarding_steps_run_name_idx" ON "onboarding_steps" USING btree ("run_id","name");