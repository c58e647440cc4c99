ALTER TABLE `inventories` ADD `name` varchar(200) DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `inventories` ADD `start_time` datetime(3);--> statement-breakpoint
ALTER TABLE `inventories` ADD `end_time` datetime(3);--> statement-breakpoint
ALTER TABLE `inventories` ADD `time_zone` varchar(64) DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `inventories` ADD `venue_name` varchar(200) DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `inventories` ADD `venue_city` varchar(100) DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `inventories` ADD `summary_revision` bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `hold_ga_items_freed` ON `hold_ga_items` (`taken_until`);