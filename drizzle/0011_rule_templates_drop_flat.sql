ALTER TABLE "rule_templates" DROP COLUMN "version";--> statement-breakpoint
ALTER TABLE "rule_templates" DROP COLUMN "variables";--> statement-breakpoint
ALTER TABLE "rule_templates" DROP COLUMN "rules";