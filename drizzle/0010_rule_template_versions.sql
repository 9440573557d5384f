CREATE TABLE "rule_template_tenants" (
	"template_id" uuid NOT NULL,
	"tenant_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rule_template_tenants_template_id_tenant_id_pk" PRIMARY KEY("template_id","tenant_id")
);
--> statement-breakpoint
CREATE TABLE "rule_template_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"template_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"variables" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"config" jsonb NOT NULL,
	"sample_messages" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"notes" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "rule_templates" ALTER COLUMN "version" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "rule_templates" ALTER COLUMN "version" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "rule_templates" ALTER COLUMN "variables" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "rule_templates" ALTER COLUMN "variables" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "rule_templates" ALTER COLUMN "rules" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "applied_template_id" uuid;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "applied_template_version" integer;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "applied_variables" jsonb;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "applied_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "rule_templates" ADD COLUMN "locale" text DEFAULT 'pt-BR' NOT NULL;--> statement-breakpoint
ALTER TABLE "rule_templates" ADD COLUMN "latest_version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "rule_templates" ADD COLUMN "visibility" text DEFAULT 'all' NOT NULL;--> statement-breakpoint
ALTER TABLE "rule_templates" ADD COLUMN "starter_key" text;--> statement-breakpoint
ALTER TABLE "rule_templates" ADD COLUMN "cloned_from_id" uuid;--> statement-breakpoint
ALTER TABLE "rule_template_tenants" ADD CONSTRAINT "rule_template_tenants_template_id_rule_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "public"."rule_templates"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rule_template_tenants" ADD CONSTRAINT "rule_template_tenants_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rule_template_versions" ADD CONSTRAINT "rule_template_versions_template_id_rule_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "public"."rule_templates"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "rule_template_tenants_tenant_idx" ON "rule_template_tenants" USING btree ("tenant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "rule_template_versions_template_version_idx" ON "rule_template_versions" USING btree ("template_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "rule_templates_starter_key_idx" ON "rule_templates" USING btree ("starter_key");--> statement-breakpoint
-- Each template as it was becomes its current version, its rules the configuration's rules (the
-- variables keep their shape: a variable without a type is text). The next migration drops the columns.
INSERT INTO "rule_template_versions" ("template_id", "version", "variables", "config", "created_at")
SELECT "id", coalesce("version", 1), coalesce("variables", '[]'::jsonb), jsonb_build_object('rules', coalesce("rules", '[]'::jsonb)), "updated_at" FROM "rule_templates";--> statement-breakpoint
UPDATE "rule_templates" SET "latest_version" = coalesce("version", 1);